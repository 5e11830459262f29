"""The remedies offered for a weights file that does not fit its block."""

from ftstudio.core.project import Project, make_block
from ftstudio.core.weights_remedies import CHOOSE_FILE, RANDOM_INIT, weights_remedies


def kinds(type_name: str, **params):
    spec = make_block(type_name, Project(), **params)
    return {r.kind: r for r in weights_remedies(spec)}


def test_a_block_with_optional_weights_offers_a_file_and_random_init():
    remedies = kinds("small_cnn")
    assert remedies[CHOOSE_FILE].param == "weights_file"
    assert remedies[RANDOM_INIT].params == {"weights_file": ""}


def test_a_pretrained_backbone_chooses_a_file_in_file_mode_or_none_for_random():
    remedies = kinds("torchvision_backbone")
    assert remedies[CHOOSE_FILE].param == "weights_file"
    assert remedies[CHOOSE_FILE].params == {"weights": "file"}
    assert remedies[RANDOM_INIT].params == {"weights": "none"}


def test_a_backbone_made_from_a_file_offers_only_another_file():
    remedies = kinds("backbone_from_file")
    assert set(remedies) == {CHOOSE_FILE} and remedies[CHOOSE_FILE].param == "path"


def test_a_block_without_weights_offers_nothing():
    assert kinds("layer_norm") == {}
