"""GradLens Python runner: the process that runs a user's Python layers for one check.

Started once per check as `PYTHON -u -B runner.py` by src/worker/python/session.ts. It loads the
user's modules by path, resolves `file.py#name` to a NumPy pair (`name_forward` / `name_backward`)
or a `torch.autograd.Function` subclass, and serves requests: forward (keeping the cache under a
handle), backward, backward_batch, forward_batch (many perturbed forwards in one round trip),
release, shutdown. The protocol is described in README.md beside this file: frames of a JSON
header and raw little-endian arrays, over the stdin/stdout pipes this process was started with.

The user's output never touches the protocol: fd 1 is pointed at stderr before any user code runs,
and sys.stdout / sys.stderr become writers that send their text as `output` frames, in order with
the replies. The thread that reads requests is also the lifeline: when the pipe closes (the
GradLens side was terminated, or died), the process exits at once, even inside a `while True:`.
"""
import faulthandler
import importlib.util
import inspect
import json
import os
import queue
import struct
import sys
import sysconfig
import threading
import traceback

MAGIC = b"GLP1"
# magic, body length (bytes after this header), JSON length (padded to 8), array count
HEADER = struct.Struct("<4sIII")
FLOAT64, INT64 = 1, 2
DTYPE_CODES = {FLOAT64: "<f8", INT64: "<i8"}
RUNNER_FILE = os.path.abspath(__file__)

np = None  # numpy, imported in main() so that its absence is a protocol reply, not a crash
torch = None  # imported only when a loaded user module imports it


# ---------------------------------------------------------------------------------------------
# Errors: what goes back to the TypeScript side as {"ok": false, "error": {...}}


class RunnerError(Exception):
    """An error reply: kind (user-exception, bad-return, bad-arguments, not-found, missing-module,
    bad-request), a message in the user's words, and where (file, line, column) when known."""

    def __init__(self, kind, message, location=None, **extra):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.location = location
        self.extra = extra

    def reply(self):
        error = {"kind": self.kind, "message": self.message}
        if self.location:
            error.update(self.location)
        error.update(self.extra)
        return error


def library_dirs():
    dirs = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path))
    return tuple(d + os.sep for d in dirs)


LIBRARY_DIRS = library_dirs()
USER_FILES = set()  # absolute paths of the modules loaded on request


def is_user_frame(filename):
    if not filename or filename.startswith("<") or os.path.abspath(filename) == RUNNER_FILE:
        return False
    path = os.path.abspath(filename)
    if path in USER_FILES:
        return True
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not path.startswith(LIBRARY_DIRS)


def user_location(exc):
    """The innermost traceback frame in the user's code: a loaded module's file first, else any
    frame outside the runner and the libraries."""
    frames = traceback.extract_tb(exc.__traceback__)
    located = None
    for frame in reversed(frames):
        if os.path.abspath(frame.filename) in USER_FILES:
            located = frame
            break
    if located is None:
        for frame in reversed(frames):
            if is_user_frame(frame.filename):
                located = frame
                break
    if isinstance(exc, SyntaxError) and exc.filename and is_user_frame(exc.filename):
        where = {"file": os.path.abspath(exc.filename), "line": exc.lineno or 1}
        if exc.offset:
            where["column"] = exc.offset
        return where
    if located is None:
        return None
    where = {"file": os.path.abspath(located.filename), "line": located.lineno, "function": located.name}
    column = getattr(located, "colno", None)  # Python 3.11+: 0-based column of the failing expression
    if column is not None:
        where["column"] = column + 1
    return where


def user_frames(exc):
    return [
        {"file": os.path.abspath(f.filename), "line": f.lineno, "function": f.name}
        for f in traceback.extract_tb(exc.__traceback__)
        if is_user_frame(f.filename)
    ]


def exception_message(exc):
    if isinstance(exc, SyntaxError):
        return "%s: %s" % (type(exc).__name__, exc.msg)
    if isinstance(exc, SystemExit):
        return "SystemExit: the code called sys.exit(%s)" % ("" if exc.code is None else repr(exc.code))
    text = str(exc)
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


INSTALL_HINTS = {
    "numpy": ("NumPy", "pip install numpy", "python3-numpy"),
    "torch": ("PyTorch", "pip install torch", "python3-torch"),
}


def user_exception(exc, during):
    """An exception raised in user code; `during` says what GradLens was doing (e.g. 'affine_forward')."""
    missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    if isinstance(exc, ModuleNotFoundError) and missing:
        top = missing.split(".")[0]
        hint = INSTALL_HINTS.get(top)
        label = hint[0] if hint else "the module '%s'" % top
        return RunnerError("missing-module", "%s has no %s, which %s imports" % (sys.executable, label, during),
                           user_location(exc), module=top, exceptionType=type(exc).__name__)
    return RunnerError("user-exception", exception_message(exc), user_location(exc),
                       exceptionType=type(exc).__name__, during=during, frames=user_frames(exc),
                       traceback="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


# ---------------------------------------------------------------------------------------------
# Frames


def pad8(n):
    return (n + 7) & ~7


def read_exactly(stream, n):
    """n bytes into a new bytearray, or None at end of input."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            return None
        got += k
    return buf


def read_frame(stream):
    header = read_exactly(stream, HEADER.size)
    if header is None:
        return None
    magic, body_len, json_len, n_arrays = HEADER.unpack(header)
    if magic != MAGIC:
        raise ValueError("protocol: bad frame magic %r" % bytes(magic))
    body = read_exactly(stream, body_len)
    if body is None:
        return None
    return body, json_len, n_arrays


def decode_frame(body, json_len, n_arrays):
    """The request's JSON with each {"$t": k} replaced by the k-th array (writable, over `body`)."""
    meta = json.loads(bytes(body[:json_len]).decode("utf-8"))
    arrays = []
    pos = json_len  # the body starts 8-aligned (after the 16-byte header); json_len is padded to 8
    for _ in range(n_arrays):
        code, ndim = struct.unpack_from("<II", body, pos)
        pos += 8
        shape = struct.unpack_from("<%dI" % ndim, body, pos)
        pos = pad8(pos + 4 * ndim)
        count = 1
        for d in shape:
            count *= d
        arrays.append(np.frombuffer(body, dtype=DTYPE_CODES[code], count=count, offset=pos).reshape(shape))
        pos += 8 * count

    def resolve(value):
        if isinstance(value, dict):
            if len(value) == 1 and "$t" in value:
                return arrays[value["$t"]]
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return resolve(meta)


def encode_frame(meta):
    """Bytes of one frame: every ndarray inside `meta` travels as raw float64 bytes."""
    arrays = []

    def refs(value):
        if np is not None and isinstance(value, np.ndarray):
            arrays.append(value)
            return {"$t": len(arrays) - 1}
        if isinstance(value, dict):
            return {k: refs(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [refs(v) for v in value]
        return value

    text = json.dumps(refs(meta), separators=(",", ":")).encode("utf-8")
    parts = [text, b" " * (pad8(len(text)) - len(text))]
    size = pad8(len(text))
    for a in arrays:
        a = np.asarray(a, dtype="<f8", order="C")  # (ascontiguousarray would make a 0-d loss 1-d)
        head = struct.pack("<II%dI" % a.ndim, FLOAT64, a.ndim, *a.shape)
        head += b"\0" * (pad8(len(head)) - len(head))
        parts.append(head)
        parts.append(a.tobytes())
        size += len(head) + a.nbytes
    return HEADER.pack(MAGIC, size, pad8(len(text)), len(arrays)) + b"".join(parts)


class Channel:
    """The protocol pipes, taken over before user code runs: requests come from a reader thread
    (the lifeline), replies and output frames go out under one lock, in order."""

    def __init__(self):
        self.input = os.fdopen(os.dup(0), "rb", buffering=0)
        self.output_fd = os.dup(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # input() in user code reads end-of-file, not our requests
        os.close(null)
        os.dup2(2, 1)  # C-level writes to fd 1 (print in an extension, a subprocess) go to stderr
        self.lock = threading.Lock()
        self.requests = queue.Queue()
        threading.Thread(target=self.read_requests, name="gradlens-lifeline", daemon=True).start()

    def read_requests(self):
        try:
            while True:
                frame = read_frame(self.input)
                if frame is None:
                    break
                self.requests.put(frame)
        except BaseException as exc:
            os.write(2, ("GradLens runner: cannot read a request: %s\n" % exception_message(exc)).encode("utf-8", "replace"))
            os._exit(3)
        # End of input: the GradLens side is gone (terminated, timed out, crashed). Stop now, even
        # while the main thread is inside user code.
        os._exit(0)

    def send(self, meta):
        data = encode_frame(meta)
        with self.lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.output_fd, view):]


class OutputWriter:
    """sys.stdout / sys.stderr for user code: text goes out as output frames, a line at a time."""

    def __init__(self, channel, stream):
        self.channel = channel
        self.stream = stream
        self.pending = []
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        self.pending.append(text)
        if "\n" in text:
            self.flush()
        return len(text)

    def flush(self):
        if self.pending:
            text, self.pending = "".join(self.pending), []
            self.channel.send({"type": "output", "stream": self.stream, "text": text})

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        return 1 if self.stream == "stdout" else 2


# ---------------------------------------------------------------------------------------------
# Loading user modules and resolving ops

MODULES = {}  # absolute path -> module
OPS = []  # op id -> NumpyOp | TorchOp


def load_module(path):
    path = os.path.abspath(path)
    if path in MODULES:
        return MODULES[path]
    if not os.path.isfile(path):
        raise RunnerError("not-found", "no Python file at %s" % path, {"file": path, "line": 1})
    stem = os.path.splitext(os.path.basename(path))[0]
    name = stem if stem.isidentifier() and stem not in sys.modules else "_gradlens_user_%d" % len(MODULES)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # the layer file imports its neighbours, as `python layers.py` would
    USER_FILES.add(path)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        raise user_exception(exc, "loading %s" % os.path.basename(path))
    MODULES[path] = module
    return module


def def_location(fn):
    """Where `def fn` is written (past its decorators): file, line, column (1-based)."""
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    where = {"file": os.path.abspath(code.co_filename), "line": code.co_firstlineno, "column": 1}
    try:
        lines, first = inspect.getsourcelines(fn)
        for i, line in enumerate(lines):
            stripped = line.lstrip()
            if stripped.startswith("def ") or stripped.startswith("async def "):
                where["line"] = first + i
                where["column"] = len(line) - len(stripped) + 1
                break
    except (OSError, TypeError):
        pass
    return where


def first_doc_line(obj):
    doc = inspect.getdoc(obj)
    return doc.strip().splitlines()[0] if doc and doc.strip() else None


class Argument:
    def __init__(self, parameter):
        self.name = parameter.name
        self.has_default = parameter.default is not inspect.Parameter.empty
        self.default = parameter.default
        self.variadic = parameter.kind == inspect.Parameter.VAR_POSITIONAL

    def describe(self):
        return {"name": self.name, "default": self.has_default, "variadic": self.variadic}


def positional_arguments(fn, skip_first):
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError) as exc:
        raise RunnerError("not-found", "cannot read the arguments of %s (%s): a forward must be a Python function" % (
            getattr(fn, "__name__", repr(fn)), exc))
    if skip_first:
        params = params[1:]
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.VAR_POSITIONAL)
    return [Argument(p) for p in params if p.kind in kinds]


def takes_cache(fn):
    """Whether backward takes (dout, cache) or just (dout)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params)


class NumpyOp:
    kind = "numpy"

    def __init__(self, ref, forward, backward):
        self.ref = ref
        self.forward_fn = forward
        self.backward_fn = backward
        self.forward_name = forward.__name__
        self.backward_name = backward.__name__
        self.args = positional_arguments(forward, skip_first=False)
        self.backward_takes_cache = takes_cache(backward)

    def forward_location(self):
        return def_location(self.forward_fn)

    def describe(self):
        return {"kind": self.kind, "forwardName": self.forward_name, "backwardName": self.backward_name,
                "forward": def_location(self.forward_fn), "backward": def_location(self.backward_fn),
                "doc": first_doc_line(self.forward_fn)}

    def call_forward(self, args, keep):
        try:
            result = self.forward_fn(*args)
        except BaseException as exc:
            raise user_exception(exc, self.forward_name)
        if isinstance(result, tuple) and len(result) == 2:
            out, cache = result
        elif isinstance(result, tuple):
            raise self.bad_return("forward", "a tuple of %d values; it must return out, or (out, cache)" % len(result))
        else:
            out, cache = result, None
        out = as_float64(out, lambda what: self.bad_return("forward", "out as " + what + "; it must return out (a float64 ndarray), or (out, cache)"))
        return out, cache

    def call_backward(self, cache, dout):
        try:
            return self.backward_fn(dout, cache) if self.backward_takes_cache else self.backward_fn(dout)
        except BaseException as exc:
            raise user_exception(exc, self.backward_name)

    def bad_return(self, which, what):
        fn = self.forward_fn if which == "forward" else self.backward_fn
        return RunnerError("bad-return", "%s returned %s" % (fn.__name__, what), def_location(fn), op=self.ref)


class TorchOp:
    kind = "torch"

    def __init__(self, ref, cls):
        self.ref = ref
        self.cls = cls
        self.forward_name = cls.__name__ + ".forward"
        self.backward_name = cls.__name__ + ".backward"
        # torch 2's style (forward without ctx, plus setup_context) keeps every argument of forward.
        base_setup = getattr(torch.autograd.Function, "setup_context", None)
        own_setup = getattr(cls, "setup_context", None)
        with_ctx = own_setup is None or own_setup is base_setup
        self.args = positional_arguments(cls.forward, skip_first=with_ctx)

    def forward_location(self):
        return def_location(self.cls.forward)

    def describe(self):
        return {"kind": self.kind, "forwardName": self.forward_name, "backwardName": self.backward_name,
                "forward": def_location(self.cls.forward), "backward": def_location(self.cls.backward),
                "class": def_location_class(self.cls), "doc": first_doc_line(self.cls),
                "torch": torch.__version__}

    def to_torch(self, args, requires_grad):
        converted = []
        for a in args:
            if isinstance(a, np.ndarray):
                t = torch.from_numpy(a)
                if requires_grad and t.dtype == torch.float64:
                    t.requires_grad_(True)
                converted.append(t)
            else:
                converted.append(a)
        return converted

    def call_forward(self, args, keep):
        try:
            if keep:
                with torch.enable_grad():
                    out = self.cls.apply(*self.to_torch(args, True))
            else:
                with torch.no_grad():
                    out = self.cls.apply(*self.to_torch(args, False))
        except BaseException as exc:
            raise user_exception(exc, self.forward_name)
        if not isinstance(out, torch.Tensor):
            raise self.bad_return("forward", "%s; it must return one torch.Tensor (float64)" % type_name(out))
        value = as_float64(out, lambda what: self.bad_return("forward", what + "; it must return one torch.Tensor (float64)"))
        # The cache is the output itself: its grad_fn is the ctx that forward filled, and the
        # saved tensors live only as long as the output does.
        return value, out

    def call_backward(self, out, dout):
        ctx = out.grad_fn
        if ctx is None:
            raise RunnerError("bad-request", "%s: no autograd context (its forward had no float64 argument)" % self.cls.__name__)
        try:
            with torch.no_grad():
                return self.cls.backward(ctx, torch.from_numpy(dout))
        except BaseException as exc:
            raise user_exception(exc, self.backward_name)

    def bad_return(self, which, what):
        fn = self.cls.forward if which == "forward" else self.cls.backward
        return RunnerError("bad-return", "%s.%s returned %s" % (self.cls.__name__, which, what), def_location(fn), op=self.ref)


def def_location_class(cls):
    try:
        lines, first = inspect.getsourcelines(cls)
        for i, line in enumerate(lines):
            stripped = line.lstrip()
            if stripped.startswith("class "):
                return {"file": os.path.abspath(inspect.getsourcefile(cls)), "line": first + i,
                        "column": len(line) - len(stripped) + 1}
    except (OSError, TypeError):
        pass
    return None


def is_torch_function(value):
    torch_module = sys.modules.get("torch")
    if torch_module is None or not inspect.isclass(value):
        return False
    try:
        return issubclass(value, torch_module.autograd.Function)
    except (AttributeError, TypeError):
        return False


def resolve_op(path, name):
    global torch
    module = load_module(path)
    ref = "%s#%s" % (os.path.basename(path), name)
    where = {"file": os.path.abspath(path), "line": 1}
    value = getattr(module, name, None)
    if is_torch_function(value):
        torch = sys.modules["torch"]
        return TorchOp(ref, value)
    prefix = name[: -len("_forward")] if name.endswith("_forward") else name
    forward = getattr(module, prefix + "_forward", None)
    backward = getattr(module, prefix + "_backward", None)
    if callable(forward) and callable(backward):
        return NumpyOp(ref, forward, backward)
    if inspect.isclass(value):
        raise RunnerError("not-found", "%s in %s is a class but not a torch.autograd.Function subclass" % (name, os.path.basename(path)), where)
    if callable(forward):
        raise RunnerError("not-found", "%s has %s_forward but no %s_backward" % (os.path.basename(path), prefix, prefix), def_location(forward))
    pairs = sorted(k[: -len("_forward")] for k in vars(module)
                   if k.endswith("_forward") and callable(getattr(module, k)) and callable(getattr(module, k[: -len("_forward")] + "_backward", None)))
    functions = sorted(k for k, v in vars(module).items() if is_torch_function(v))
    found = ", ".join(["%s (%s_forward / %s_backward)" % (p, p, p) for p in pairs] + ["%s (torch.autograd.Function)" % f for f in functions])
    raise RunnerError("not-found", "%s has no %s_forward / %s_backward pair nor a torch.autograd.Function named %s%s" % (
        os.path.basename(path), prefix, prefix, name, "; it has " + found if found else ""), where, available=pairs + functions)


# ---------------------------------------------------------------------------------------------
# Values at the boundary


def type_name(value):
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__name__)


def shape_text(shape):
    return "[%s]" % ", ".join(str(d) for d in shape)


def as_float64(value, fail):
    """A float64 ndarray from what user code returned (an ndarray, a NumPy float64 scalar, a Python
    float, a torch tensor), else raise fail(description)."""
    if torch is not None and isinstance(value, torch.Tensor):
        if value.dtype != torch.float64:
            raise fail("a tensor of dtype %s (GradLens checks in float64: build it with dtype=torch.float64)" % str(value.dtype).replace("torch.", ""))
        return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        if value.dtype != np.float64:
            raise fail("an array of dtype %s (GradLens checks in float64: build it with dtype=np.float64 or from the inputs)" % value.dtype)
        return np.asarray(value)
    if isinstance(value, float):
        return np.asarray(value, dtype=np.float64)
    raise fail("a value of type %s, not an array" % type_name(value))


def same_values(a, b):
    """Equal shapes and entries, NaN equal to NaN (any NumPy version)."""
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        return bool(((a == b) | (np.isnan(a) & np.isnan(b))).all())
    return bool((a == b).all())


def snapshot(value, depth=0):
    """Copies of the arrays reachable in a cache (tuples, lists, dicts), to tell whether a call changed them."""
    if isinstance(value, np.ndarray):
        return [(value, value.copy())]
    if torch is not None and isinstance(value, torch.Tensor):
        return [(value, value.detach().clone())]
    found = []
    if depth < 3 and isinstance(value, (tuple, list)):
        for v in value:
            found += snapshot(v, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for v in value.values():
            found += snapshot(v, depth + 1)
    return found


def changed(snap):
    for original, copy in snap:
        if torch is not None and isinstance(original, torch.Tensor):
            if not same_values(original.detach().cpu().numpy(), copy.cpu().numpy()):
                return True
        elif not same_values(original, copy):
            return True
    return False


def saved_tensors_snapshot(ctx):
    try:
        return snapshot(list(ctx.saved_tensors)) if ctx is not None else []
    except Exception:
        return []


# ---------------------------------------------------------------------------------------------
# Calls


class Call:
    """One call's arguments in the forward's order, and what each one is: ("input", i),
    ("param", name), ("attr", name) or ("default", name)."""

    def __init__(self, op, request):
        inputs = request.get("inputs") or []
        params = request.get("params") or {}
        attrs = request.get("attrs") or {}
        names = [a.name for a in op.args]
        unknown = [k for k in list(params) + list(attrs) if k not in names]
        if unknown and not any(a.variadic for a in op.args):
            raise RunnerError("bad-arguments", "%s has no argument named %s (its arguments: %s)" % (
                op.forward_name, ", ".join(unknown), ", ".join(names)), op.forward_location())
        self.args, self.roles = [], []
        next_input = 0
        for a in op.args:
            if a.variadic:
                while next_input < len(inputs):
                    self.args.append(inputs[next_input])
                    self.roles.append(("input", next_input))
                    next_input += 1
            elif a.name in params:
                self.args.append(params[a.name])
                self.roles.append(("param", a.name))
            elif a.name in attrs:
                self.args.append(attrs[a.name])
                self.roles.append(("attr", a.name))
            elif next_input < len(inputs):
                self.args.append(inputs[next_input])
                self.roles.append(("input", next_input))
                next_input += 1
            elif a.has_default:
                self.args.append(a.default)
                self.roles.append(("default", a.name))
            else:
                given = "%d input%s" % (len(inputs), "" if len(inputs) == 1 else "s")
                if params:
                    given += " and the params %s" % ", ".join(params)
                raise RunnerError("bad-arguments", "%s takes %s; the node gives %s, so %s has no value" % (
                    op.forward_name, "(" + ", ".join(names) + ")", given, a.name), op.forward_location())
        if next_input < len(inputs):
            raise RunnerError("bad-arguments", "%s takes %s; the node gives %d inputs (%d too many)" % (
                op.forward_name, "(" + ", ".join(names) + ")", len(inputs), len(inputs) - next_input), op.forward_location())
        # Integer class labels travel as int64: never differentiated, whatever backward returns for them.
        self.labels = set(i for i, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind in "iu")
        self.shapes = [np.shape(a) if isinstance(a, np.ndarray) else None for a in self.args]

    def fresh_args(self):
        return [a.copy() if isinstance(a, np.ndarray) else a for a in self.args]

    def position(self, which):
        for k, (role, key) in enumerate(self.roles):
            if ("input" in which and role == "input" and key == which["input"]) or (
                    "param" in which and role == "param" and key == which["param"]):
                return k
        raise RunnerError("bad-request", "forward_batch: no argument %s" % json.dumps(which))


def make_call(op, request):
    call = Call(op, request)
    names = []
    for a in op.args:
        if a.variadic:
            names += ["%s[%d]" % (a.name, i) for i in range(len(call.args) - len(names))]
        else:
            names.append(a.name)
    call.arg_names = names
    return call


class Handle:
    def __init__(self, op, call, cache, out_shape):
        self.op, self.call, self.cache, self.out_shape = op, call, cache, out_shape


HANDLES = {}
NEXT_HANDLE = [1]


def get_op(request):
    k = request.get("op")
    if not isinstance(k, int) or not 0 <= k < len(OPS):
        raise RunnerError("bad-request", "unknown op %r" % (k,))
    return OPS[k]


def get_handle(request):
    handle = HANDLES.get(request.get("handle"))
    if handle is None:
        raise RunnerError("bad-request", "unknown or released handle %r" % (request.get("handle"),))
    return handle


def do_load(request):
    op = resolve_op(request["file"], request["name"])
    OPS.append(op)
    info = op.describe()
    info.update({"op": len(OPS) - 1, "ref": op.ref, "file": os.path.abspath(request["file"]), "args": [a.describe() for a in op.args]})
    return info


def do_forward(request):
    op = get_op(request)
    call = make_call(op, request)
    args = call.fresh_args()
    keep = request.get("keep", True)
    out, cache = op.call_forward(args, keep)
    mutated = [call.arg_names[k] for k, a in enumerate(args)
               if isinstance(a, np.ndarray) and not same_values(a, call.args[k])]
    reply = {"output": out, "mutated": mutated}
    if keep:
        handle = NEXT_HANDLE[0]
        NEXT_HANDLE[0] += 1
        HANDLES[handle] = Handle(op, call, cache, out.shape)
        reply["handle"] = handle
    return reply


def gradients(handle, returned):
    """The returned gradients, checked and split into inputs (by position) and params (by name)."""
    op, call = handle.op, handle.call
    roles = call.roles
    last_tensor = max([k for k, (role, _) in enumerate(roles) if role in ("input", "param")], default=-1)
    if not isinstance(returned, (tuple, list)):
        returned = (returned,) if last_tensor <= 0 else returned
    if not isinstance(returned, (tuple, list)):
        raise op.bad_return("backward", "a single %s; it must return one gradient per argument of %s (%s), in that order (None for one without a gradient)" % (
            type_name(returned), op.forward_name, ", ".join(call.arg_names)))
    if not last_tensor + 1 <= len(returned) <= len(roles):
        raise op.bad_return("backward", "%d gradient%s; %s takes %d argument%s (%s): return one per argument, in that order (None for one without a gradient)" % (
            len(returned), "" if len(returned) == 1 else "s", op.forward_name, len(roles), "" if len(roles) == 1 else "s", ", ".join(call.arg_names)))
    inputs = [None] * (1 + max([key for role, key in roles if role == "input"], default=-1))
    params = {}
    for k, grad in enumerate(returned):
        role, key = roles[k]
        if role not in ("input", "param") or grad is None or (role == "input" and key in call.labels):
            continue
        name = call.arg_names[k]
        where = "the gradient for %s (value %d of %d returned)" % (name, k + 1, len(returned))
        value = as_float64(grad, lambda what: op.bad_return("backward", "%s as %s" % (where, what)))
        if value.shape != call.shapes[k]:
            raise op.bad_return("backward", "%s of shape %s; %s has shape %s" % (where, shape_text(value.shape), name, shape_text(call.shapes[k])))
        if role == "input":
            inputs[key] = value
        else:
            params[key] = value
    for role, key in roles:
        if role == "param":
            params.setdefault(key, None)
    return inputs, params


def check_dout(handle, dout):
    if dout.shape != handle.out_shape:
        raise RunnerError("bad-request", "%s: gradOutput of shape %s; the output has shape %s" % (
            handle.op.backward_name, shape_text(dout.shape), shape_text(handle.out_shape)))


def do_backward(request):
    handle = get_handle(request)
    dout = request["gradOutput"]
    check_dout(handle, dout)
    pristine = dout.copy()
    saved = snapshot(handle.cache) if handle.op.kind == "numpy" else saved_tensors_snapshot(handle.cache.grad_fn)
    returned = handle.op.call_backward(handle.cache, dout)
    mutated = (["gradOutput"] if not same_values(dout, pristine) else []) + (["cache"] if changed(saved) else [])
    inputs, params = gradients(handle, returned)
    return {"inputs": inputs, "params": params, "mutated": mutated}


def do_backward_batch(request):
    """backward for each of k upstream gradients (gradOutputs [k, *output shape]) of one forward:
    per argument a [k, *argument shape] array, or None when no call gave it a gradient."""
    handle = get_handle(request)
    douts = request["gradOutputs"]
    k = douts.shape[0] if douts.ndim else 0
    check_dout(handle, douts[0] if k else np.empty(handle.out_shape))
    stacked_inputs, stacked_params = {}, {}
    n_inputs = 0
    for row in range(k):
        inputs, params = gradients(handle, handle.op.call_backward(handle.cache, douts[row].copy()))
        n_inputs = max(n_inputs, len(inputs))
        for target, values in ((stacked_inputs, enumerate(inputs)), (stacked_params, params.items())):
            for key, value in values:
                if value is None:
                    continue
                if key not in target:
                    target[key] = np.zeros((k,) + value.shape)
                target[key][row] = value
    inputs = [stacked_inputs.get(i) for i in range(n_inputs)]
    params = {key: stacked_params.get(key) for role, key in handle.call.roles if role == "param"}
    return {"inputs": inputs, "params": params}


def stacked_forwards(op, call, position, k, value_at, what):
    """The forward k times, argument `position` replaced by value_at(row, a fresh copy of it), every
    other argument a fresh copy as given: the outputs stacked, [k, *output shape]."""
    outputs = None
    for row in range(k):
        args = call.fresh_args()
        args[position] = value_at(row, args[position])
        out, _ = op.call_forward(args, keep=False)
        if outputs is None:
            outputs = np.empty((k,) + out.shape)
        elif out.shape != outputs.shape[1:]:
            raise op.bad_return("forward", "out of shape %s at %s %s, %s before" % (
                shape_text(out.shape), what, call.arg_names[position], shape_text(outputs.shape[1:])))
        outputs[row] = out
    return outputs if outputs is not None else np.empty((0,))


def float_argument(call, which, request_type):
    position = call.position(which)
    base = call.args[position]
    if not isinstance(base, np.ndarray) or base.dtype != np.float64:
        raise RunnerError("bad-request", "%s: %s is not a float64 array" % (request_type, call.arg_names[position]))
    return position, base


def do_forward_batch(request):
    """Central-difference work for one (op, argument) in one round trip: the forward at
    a ± h·e_i for each index i (or a ± h·v for each direction v), every other argument fixed.
    Returns plus and minus, each [k, *output shape]."""
    op = get_op(request)
    call = make_call(op, request)
    perturb = request["perturb"]
    position, base = float_argument(call, perturb, "forward_batch")
    name = call.arg_names[position]
    h = float(perturb["h"])
    indices = perturb.get("indices")
    directions = perturb.get("directions")
    if indices is not None:
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size and (indices.min() < 0 or indices.max() >= base.size):
            raise RunnerError("bad-request", "forward_batch: an index outside %s's %d entries" % (name, base.size))

        def moved(sign):
            def value_at(row, a):
                flat = a.reshape(-1)  # a view: a is a fresh C-ordered copy
                i = indices[row]
                flat[i] = flat[i] + h if sign > 0 else flat[i] - h
                return a
            return value_at

        k = indices.size
        return {"plus": stacked_forwards(op, call, position, k, moved(1), "a perturbed"),
                "minus": stacked_forwards(op, call, position, k, moved(-1), "a perturbed")}
    if directions is not None:
        if directions.shape[1:] != base.shape:
            raise RunnerError("bad-request", "forward_batch: directions of shape %s for %s of shape %s" % (
                shape_text(directions.shape), name, shape_text(base.shape)))
        k = directions.shape[0]
        return {"plus": stacked_forwards(op, call, position, k, lambda row, a: base + h * directions[row], "a perturbed"),
                "minus": stacked_forwards(op, call, position, k, lambda row, a: base - h * directions[row], "a perturbed")}
    raise RunnerError("bad-request", "forward_batch: give perturb.indices or perturb.directions")


def do_forward_many(request):
    """The forward at k whole values of one argument (values [k, *argument shape]), every other
    argument fixed: what an end-to-end difference feeds a node downstream of a perturbed entry."""
    op = get_op(request)
    call = make_call(op, request)
    replace = request["replace"]
    position, base = float_argument(call, replace, "forward_many")
    values = replace["values"]
    if values.shape[1:] != base.shape:
        raise RunnerError("bad-request", "forward_many: values of shape %s for %s of shape %s" % (
            shape_text(values.shape), call.arg_names[position], shape_text(base.shape)))
    return {"outputs": stacked_forwards(op, call, position, values.shape[0], lambda row, a: values[row].copy(), "another")}


def do_release(request):
    if request.get("all"):
        HANDLES.clear()
    for h in request.get("handles") or []:
        HANDLES.pop(h, None)
    return {}


HANDLERS = {
    "load": do_load,
    "forward": do_forward,
    "backward": do_backward,
    "backward_batch": do_backward_batch,
    "forward_batch": do_forward_batch,
    "forward_many": do_forward_many,
    "release": do_release,
}


def serve(channel, writers):
    while True:
        frame = channel.requests.get()
        reply = {"type": "reply"}
        try:
            request = decode_frame(*frame)
            reply["id"] = request.get("id")
            kind = request.get("type")
            if kind == "shutdown":
                for w in writers:
                    w.flush()
                reply["ok"] = True
                channel.send(reply)
                return
            handler = HANDLERS.get(kind)
            if handler is None:
                raise RunnerError("bad-request", "unknown request %r" % (kind,))
            reply.update(handler(request))
            reply["ok"] = True
        except RunnerError as e:
            reply = {"type": "reply", "id": reply.get("id"), "ok": False, "error": e.reply()}
        except BaseException as e:  # a bug of the runner itself: say so, with its traceback
            reply = {"type": "reply", "id": reply.get("id"), "ok": False, "error": {
                "kind": "internal", "message": "GradLens runner: %s" % exception_message(e),
                "traceback": "".join(traceback.format_exception(type(e), e, e.__traceback__))}}
        for w in writers:
            w.flush()  # output printed during the call arrives before its reply
        channel.send(reply)


def main():
    global np
    channel = Channel()
    writers = [OutputWriter(channel, "stdout"), OutputWriter(channel, "stderr")]
    faulthandler.enable(file=sys.__stderr__)  # a crash in an extension still says where
    sys.stdout, sys.stderr = writers
    sys.dont_write_bytecode = True  # no __pycache__ in the user's folder
    ready = {"type": "ready", "python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable, "pid": os.getpid()}
    try:
        import numpy
        np = numpy
        ready.update({"ok": True, "numpy": numpy.__version__})
    except ImportError as exc:
        ready.update({"ok": False, "error": {"kind": "missing-module", "module": "numpy",
                                             "message": "%s has no NumPy (%s)" % (sys.executable, exception_message(exc))}})
    channel.send(ready)
    if np is None:
        os._exit(0)
    serve(channel, writers)
    os._exit(0)


if __name__ == "__main__":
    main()
