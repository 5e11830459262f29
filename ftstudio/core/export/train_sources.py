"""Text of the exported ``train.py``'s data part, one piece per source (see
:mod:`ftstudio.core.export.train_data`, which fills the ``@NAME@`` fields)."""

SPLIT = '''

def split_indices(n: int, fraction: float, seed: int, labels: list[int]) -> tuple[list, list]:
    """Seeded split of range(n) into (train, validation), stratified by class: each class gives
    the same fraction to validation (at least one sample when it has two or more)."""
    gen = torch.Generator().manual_seed(seed)
    by_class: dict[int, list[int]] = {}
    for i in torch.randperm(n, generator=gen).tolist():
        by_class.setdefault(int(labels[i]), []).append(i)
    train, val = [], []
    for members in by_class.values():
        k = int(round(len(members) * fraction))
        if fraction > 0 and k == 0 and len(members) > 1:
            k = 1
        val += members[:k]
        train += members[k:]
    shuffle = torch.randperm(len(train), generator=gen).tolist()
    return [train[i] for i in shuffle], sorted(val)
'''

SPLIT_PLAIN = '''

def split_indices(n: int, fraction: float, seed: int) -> tuple[list, list]:
    """Seeded split of range(n) into (train, validation)."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    n_val = int(round(n * fraction))
    if fraction > 0 and n_val == 0 and n > 1:
        n_val = 1
    return order[n_val:], order[:n_val]
'''

STANDARDIZE = '''

def fit_standardizer(x: torch.Tensor) -> dict:
    """Each feature's mean and standard deviation on the training samples (data.standardize)."""
    mean = x.double().mean(0)
    std = x.double().std(0, unbiased=False)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))  # a constant feature: centred only
    return {"mean": mean.tolist(), "std": std.tolist()}


def apply_standardizer(x: torch.Tensor, stats: dict) -> torch.Tensor:
    mean = torch.tensor(stats["mean"], dtype=torch.float64)
    std = torch.tensor(stats["std"], dtype=torch.float64)
    return ((x.double() - mean) / std).to(x.dtype)
'''

TENSORS = '''

def read_tensors(path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """X and y from a .npz, .safetensors or .pt file (a .pt file is read weights-only: never
    code)."""
    suffix = Path(path).suffix
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            store = {key: torch.from_numpy(np.array(npz[key])) for key in ("X", "y")}
    elif suffix == ".safetensors":
        from safetensors.torch import load_file

        store = load_file(path)
    else:
        store = read_weights_only(path)
    y = store["y"]
    return store["X"].float(), @LABELS@
'''

CSV_CLASSES = '''

def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv(path: str, classes: list[str] | None = None):
    """Features and labels of a UTF-8 CSV file with a header row; returns (X, y, class names).

    Labels are class numbers 0..k-1 (names: []), or class names that become classes in
    sorted order; ``classes`` are the training file's names, so validation maps the same way.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header, *rows = [row for row in csv.reader(handle) if row]
    columns = [header.index(name) for name in @FEATURES@]
    at = header.index(@LABEL@)
    x = torch.tensor([[float(row[i]) for i in columns] for row in rows], dtype=torch.float32)
    labels = [row[at].strip() for row in rows]
    if classes is None and all(is_number(v) for v in labels):
        return x, torch.tensor([float(v) for v in labels]).long(), []
    names = classes or sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    return x, torch.tensor([index[v] for v in labels]), names
'''

CSV_TARGETS = '''

def read_csv(path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Features and targets (N, 1) of a UTF-8 CSV file with a header row."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header, *rows = [row for row in csv.reader(handle) if row]
    columns = [header.index(name) for name in @FEATURES@]
    at = header.index(@LABEL@)
    x = torch.tensor([[float(row[i]) for i in columns] for row in rows], dtype=torch.float32)
    return x, torch.tensor([float(row[at]) for row in rows]).unsqueeze(1)
'''

DIGITS = '''

def read_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled 8x8 digits of CLASSES (labels 0..k-1), sized to the model's input."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    keep = np.isin(raw.target, CLASSES)
    x = torch.tensor(raw.images[keep], dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor([CLASSES.index(int(t)) for t in raw.target[keep]], dtype=torch.long)
@FIT@    return x, y
'''

SYNTHETIC = '''

LEN, DIM, TOPICS = @LEN@, @DIM@, @TOPICS@  # tokens per sequence, features per token, symbols
VISIBLE_FRACTION = @VISIBLE@
TOPIC_SHARE = @SHARE@
NOISE = @NOISE@


def synthetic_sequence(samples: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """FT Studio's seeded synthetic sequences (N, LEN, DIM):
    @DOC@."""
    gen = torch.Generator().manual_seed(seed)
    # fixed embeddings (seed 1234): train and validation share one "vocabulary"
    embeddings = torch.randn(TOPICS + 1, DIM, generator=torch.Generator().manual_seed(1234))
    topic = torch.randint(0, TOPICS, (samples, 1), generator=gen)
    uniform = torch.randint(0, TOPICS, (samples, LEN), generator=gen)
    on_topic = torch.rand(samples, LEN, generator=gen) < TOPIC_SHARE
    symbols = torch.where(on_topic, topic.expand(-1, LEN), uniform)
    visible = torch.rand(samples, LEN, generator=gen) < VISIBLE_FRACTION
    shown = torch.where(visible, symbols, torch.full_like(symbols, TOPICS))  # TOPICS: masked
    x = embeddings[shown] + NOISE * torch.randn(samples, LEN, DIM, generator=gen)
    return x, @RETURN@.long()
'''

IMAGES = '''

def image_suffixes() -> set[str]:
    """File endings of the formats this Pillow can decode (.png, .jpg, .webp, ...)."""
    from PIL import Image, ImageFile

    Image.init()
    readable = {
        name
        for name, (factory, _accept) in Image.OPEN.items()
        if not (isinstance(factory, type) and issubclass(factory, ImageFile.StubImageFile))
    }
    return {ext for ext, name in Image.registered_extensions().items() if name in readable}


def scan_folder(path: str) -> tuple[list[tuple[str, int]], list[str]]:
    """[(image file, label)] and the class names: one sub-folder per class, sorted."""
    root = Path(path)
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    suffixes = image_suffixes()
    items = []
    for label, name in enumerate(classes):
        for file in sorted((root / name).iterdir()):
            if not file.name.startswith(".") and file.suffix.lower() in suffixes and file.is_file():
                items.append((str(file), label))
    return items, classes


def image_transform(train: bool):
    """The preprocessing FT Studio applies (PREPROCESSING in model.py, plus augmentation)."""
    from torchvision import transforms as T

@STEPS@    return T.Compose(steps)


class ImageFolder(Dataset):
    """Images decoded when a batch needs them; only file names are kept in memory."""

    def __init__(self, items: list[tuple[str, int]], train: bool):
        self.items = items
        self.transform = image_transform(train)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        path, label = self.items[index]
        with Image.open(path) as img:
            image = img.convert(@MODE@)
        return self.transform(image), label
'''
