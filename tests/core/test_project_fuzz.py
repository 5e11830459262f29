"""Issue 13 acceptance 2: arbitrary JSON documents and mutations of the shipped templates read
as either a valid project or one ProjectFileError, never another exception, within a time and
memory bound."""

from __future__ import annotations

import json
import math
import time
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftstudio.core import project as project_io
from ftstudio.core.errors import ProjectFileError
from ftstudio.core.project import Project
from ftstudio.core.templates import TEMPLATES, list_templates

SETTINGS = settings(
    max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow], database=None
)
TIME_LIMIT_S = 2.0
MEMORY_LIMIT_BYTES = 32 * 1024 * 1024  # "0-30000000" once took gigabytes

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and Infinity included: they must be refused, not crash
    | st.text(max_size=20)
    | st.sampled_from(["", "0-30000000", "resources:../x", "training", "__class__", "cpu"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=15,
)
TEMPLATE_DOCS = {
    name: json.loads((TEMPLATES / f"{name}.ftproj").read_text()) for name in list_templates()
}


def read(text: str) -> Project | ProjectFileError:
    """Read ``text``; only a Project or a ProjectFileError may come out, within the limit."""
    start = time.monotonic()
    tracemalloc.start()
    try:
        result: Project | ProjectFileError = project_io.loads(text, "fuzz.ftproj")
    except ProjectFileError as exc:
        assert str(exc) and len(str(exc)) < 2500 and str(exc).count("\n") <= 12
        result = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert time.monotonic() - start < TIME_LIMIT_S
    assert peak < MEMORY_LIMIT_BYTES
    if isinstance(result, Project):  # a project that reads also saves and reads back the same
        assert project_io.loads(project_io.dumps(result)) == result
    return result


def dumps(value) -> str:
    return json.dumps(value, allow_nan=True)


@SETTINGS
@given(json_values)
def test_arbitrary_json_reads_as_a_project_or_one_error(value):
    read(dumps(value))


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            ["format", "version", "name", "input", "task", "blocks", "data", "training", "layers"]
        ),
        json_values,
        max_size=8,
    )
)
def test_arbitrary_top_level_objects_read_as_a_project_or_one_error(value):
    read(dumps(value))


def paths(value, prefix=()):
    """Every place inside a JSON value, as a tuple of keys and indices."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, (*prefix, i))


def mutate(doc, place, how, new):
    doc = json.loads(json.dumps(doc))
    if not place:
        return new if how == "replace" else doc
    parent = doc
    for step in place[:-1]:
        parent = parent[step]
    last = place[-1]
    if how == "replace":
        parent[last] = new
    elif how == "delete":
        del parent[last]
    elif how == "add" and isinstance(parent[last], dict):
        parent[last][new if isinstance(new, str) else "x"] = new
    elif how == "add" and isinstance(parent[last], list):
        parent[last].append(new)
    return doc


@st.composite
def mutated_templates(draw):
    doc = TEMPLATE_DOCS[draw(st.sampled_from(sorted(TEMPLATE_DOCS)))]
    out = doc
    for _ in range(draw(st.integers(1, 3))):
        place = draw(st.sampled_from(list(paths(out))))
        how = draw(st.sampled_from(["replace", "delete", "add"]))
        out = mutate(out, place, how, draw(json_values))
    return out


@SETTINGS
@given(mutated_templates())
def test_mutated_templates_read_as_a_project_or_one_error(doc):
    read(dumps(doc))


def test_the_templates_themselves_read():
    for doc in TEMPLATE_DOCS.values():
        assert isinstance(read(json.dumps(doc)), Project)


def test_a_float_key_value_is_never_read_as_nan():
    doc = json.loads(json.dumps(TEMPLATE_DOCS["digits-transfer"]))
    doc["training"]["lr"] = math.inf
    assert isinstance(read(dumps(doc)), ProjectFileError)
