"""Text of the exported ``train.py``'s model and loop parts (see
:mod:`ftstudio.core.export.train_template`, which fills the ``@NAME@`` fields and keeps the
``#@feature`` lines the project uses)."""

MODEL = '''

def is_frozen(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in FROZEN)


def freeze(model: nn.Module) -> None:
    """Frozen blocks and stages get no gradients (their parameters: requires_grad_(False))."""
    for name, param in model.named_parameters():
        param.requires_grad_(not is_frozen(name))


def train_mode(model: nn.Module) -> None:
    """model.train(), but frozen blocks and stages stay in eval mode: their BatchNorm
    statistics do not change and their dropout is off, as in FT Studio."""
    model.train()
    for name, module in model.named_modules():
        if is_frozen(name):
            module.eval()


def make_optimizer(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """@OPT_NAME@ over one group per trainable block, at lr * LR_SCALES[block]."""
    groups = []
    for block, scale in LR_SCALES.items():
        inside = [p for name, p in model.named_parameters() if name.startswith(block + ".")]
        params = [p for p in inside if p.requires_grad]
        if params:
            groups.append({"params": params, "lr": lr * scale})
    return @OPT_CALL@
'''

EVALUATE = '''

@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> dict:
    """Validation loss and @METRIC@ (eval mode, no label smoothing)."""
    model.eval()
    loss_sum = torch.zeros((), device=device)
    stat_sum = torch.zeros((), device=device)
    count = samples = 0
    for x, y in loader:
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        x = x.contiguous(memory_format=torch.channels_last)  #@channels_last
        with torch.autocast("cuda", dtype=@AMP_DTYPE@, enabled=device.type == "cuda"):  #@amp
            out = model(x)  #@amp
        out = model(x)  #@!amp
        loss_sum += loss_fn(out, y) * len(x)
        stat, n = batch_stats(out, y)
        stat_sum += stat
        count += n
        samples += len(x)
    loss = float(loss_sum) / max(1, samples)
    return {"val_loss": loss, "val_@METRIC@": float(stat_sum) / max(1, count)}
'''

LOOP = '''

def setup(device_name: str) -> tuple[int, int, torch.device]:
    """(rank, number of processes, device). Under torchrun this joins the process group: NCCL
    on GPU, Gloo on CPU; each process takes the GPU of its LOCAL_RANK."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if device_name == "auto":
        mps = torch.backends.mps.is_available()
        device_name = "cuda" if torch.cuda.is_available() else "mps" if mps else "cpu"
    device = torch.device(device_name)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    if world == 1:
        return 0, 1, device
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist.get_rank(), world, device


def read_weights_only(path: str | Path):
    """torch.load of tensors, numbers and containers only: this script never unpickles code."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        sys.exit(f"error: {path} holds Python objects besides tensors; train.py never unpickles code")


def weights_metadata(weights: str) -> dict[str, str] | None:
    """The starting weights' metadata (project, class names, preprocessing...), kept in the
    trained weights so that predict.py reads the same class names from them."""
    path = Path(weights) if Path(weights).exists() else HERE / weights
    if path.suffix != ".safetensors":
        return None
    with safe_open(str(path), "pt") as handle:
        return handle.metadata()


def save_atomic(data: bytes, path: Path) -> None:
    """Write a temporary file, then rename it to ``path``: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def torch_bytes(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA_PATH, help="the training data (default: the project's)")  #@path
    parser.add_argument("--val-data", default=VAL_PATH, help="the validation data")  #@valpath
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="per process")
    parser.add_argument("--lr", type=float, default=LR)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--device", default=DEVICE, help="auto (a GPU if there is one), cpu, cuda")
    parser.add_argument("--weights", default="model.safetensors", help="starting weights")
    parser.add_argument("--out", type=Path, default=Path("run"), help="checkpoints and results")
    parser.add_argument("--resume", type=Path, help="continue from OUT/checkpoints/last.pt")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> nn.Module:
    """Train as FT Studio does; return the trained model (every process holds the same)."""
    rank, world, device = setup(args.device)
    saved = read_weights_only(args.resume) if args.resume else None
    train_set, val_set = make_datasets(args)  #@!std
    train_set, val_set, stats = make_datasets(args, saved and saved["standardize"])  #@std
    model = load_model(args.weights, device)
    freeze(model)
    model = model.to(memory_format=torch.channels_last)  #@channels_last
    torch.manual_seed(args.seed)  # dropout (and augmentation) draw from here
    optimizer = make_optimizer(model, args.lr)
    params = [p for group in optimizer.param_groups for p in group["params"]]  #@clip
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, seed=args.seed)
    loader_rng = torch.Generator()  # seeded per epoch: batches do not depend on resuming
    loader = DataLoader(
        train_set,
        args.batch_size,
        sampler=sampler,
        generator=loader_rng,
        num_workers=NUM_WORKERS,  #@workers
        persistent_workers=True,  #@workers
        pin_memory=device.type == "cuda",
    )
    val_loader = None  #@val
    if val_set:  # its own generator: validation never draws from the global RNG  #@val
        val_loader = DataLoader(val_set, args.batch_size, generator=torch.Generator())  #@val_plain
        val_loader = DataLoader(  #@val_workers
            val_set, args.batch_size, num_workers=NUM_WORKERS, generator=torch.Generator()  #@val_workers
        )  #@val_workers
    steps_per_epoch = len(loader)  #@sched_plain
    steps_per_epoch = math.ceil(len(loader) / GRAD_ACCUMULATION)  #@sched_accum
    scheduler = torch.optim.lr_scheduler.LambdaLR(  #@sched
        optimizer, lambda step: lr_factor(step, steps_per_epoch, args.epochs)  #@sched
    )  #@sched
    scaler = torch.amp.GradScaler("cuda", enabled=device.type == "cuda")  #@fp16
    net = model
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        net = DistributedDataParallel(model, device_ids=ids)  # averages gradients over processes
    net = torch.compile(net)  #@compile
    start, best, bad_epochs, row = 0, None, 0, {}
    if saved:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])  #@sched
        scaler.load_state_dict(saved["scaler"])  #@fp16
        torch.set_rng_state(saved["rng"])
        if saved["cuda_rng"]:
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
        start, best, bad_epochs = saved["epoch"], saved["best"], saved["bad_epochs"]
        row = saved["row"]
    for epoch in range(start, args.epochs):
        sampler.set_epoch(epoch)
        loader_rng.manual_seed(args.seed * 100003 + epoch)
        train_mode(model)
        loss_sum = torch.zeros((), device=device)
        stat_sum = torch.zeros((), device=device)
        count = 0
        for batch, (x, y) in enumerate(loader):  #@accum
        for x, y in loader:  #@!accum
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            x = x.contiguous(memory_format=torch.channels_last)  #@channels_last
            with torch.autocast("cuda", dtype=@AMP_DTYPE@, enabled=device.type == "cuda"):  #@amp
                out = net(x)  #@amp
                loss = @TRAIN_LOSS@  #@amp
            out = net(x)  #@!amp
            loss = @TRAIN_LOSS@  #@!amp
@STEP@            loss_sum += loss.detach()
            stat, n = batch_stats(out, y)
            stat_sum += stat
            count += n
        if world > 1:  # every process takes rank 0's buffers (BatchNorm statistics)
            for buffer in model.buffers():
                dist.broadcast(buffer, 0)
        row = {
            "epoch": epoch + 1,
            "train_loss": float(loss_sum) / len(loader),
            "train_@METRIC@": float(stat_sum) / max(1, count),
            "lr": optimizer.param_groups[0]["lr"],
        }
        if not math.isfinite(row["train_loss"]):
            sys.exit(f"error: the loss became NaN or infinite in epoch {epoch + 1}; lower LR")
        if val_loader is not None:  #@val
            row.update(evaluate(model, val_loader, device))  #@val
        value = row.get(MONITOR, row["train_loss"])  # the metric that picks best.pt
        improved = math.isfinite(value) and (best is None or value @BETTER@ best)
        best, bad_epochs = (value, 0) if improved else (best, bad_epochs + 1)
        if rank == 0:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch")
            print(f"epoch {epoch + 1}/{args.epochs}: {shown}", flush=True)
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),  #@sched
                "scaler": scaler.state_dict(),  #@fp16
                "rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state_all() if device.type == "cuda" else [],
                "epoch": epoch + 1,
                "best": best,
                "bad_epochs": bad_epochs,
                "row": row,
                "standardize": stats,  #@std
            }
            data = torch_bytes(state)
            if improved:
                save_atomic(data, args.out / "checkpoints" / "best.pt")
            save_atomic(data, args.out / "checkpoints" / "last.pt")
        if bad_epochs >= PATIENCE and epoch + 1 < args.epochs:  #@early
            if rank == 0:  #@early
                print(f"early stop: no better {MONITOR} for {PATIENCE} epochs")  #@early
            break  #@early
    if rank == 0:
        weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        data = safetensors_bytes(weights, weights_metadata(args.weights))
        save_atomic(data, args.out / "model.safetensors")
        summary = {"epochs": args.epochs, "monitor": MONITOR, "best": best, "final": row}
        summary["standardize"] = stats  #@std
        save_atomic((json.dumps(summary, indent=2) + "\\n").encode(), args.out / "summary.json")
        print(f"saved {args.out / 'model.safetensors'}: load it with load_model(that path)")
    if world > 1:
        dist.destroy_process_group()
    return model


def main(argv: list[str] | None = None) -> int:
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
