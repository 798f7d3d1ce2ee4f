"""Index generations: each build writes a new directory beside the live one; every file is written under a
temporary name, fsynced and renamed; a manifest records what built it and each file's size and SHA-256; then an
atomic rename of the CURRENT pointer makes it live. Readers open what CURRENT names and refuse a damaged or
mismatched generation. A crash at any moment leaves the previous generation serving.

    ROOT/CURRENT                  'gen-000007'
    ROOT/gen-000007/manifest.json
    ROOT/gen-000007/...           index files
    ROOT/gen-000008.building-PID  a build in progress (removed if its builder died)
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

MANIFEST = "manifest.json"
_GEN = re.compile(r"^gen-(\d{6})$")


class GenerationError(RuntimeError):
    """A generation that cannot be used (missing, damaged, or built for something else)."""


class LockedError(RuntimeError):
    def __init__(self, pid: int | None, since: str | None):
        super().__init__(f"a reindex is already running (pid {pid or '?'}, since {since or '?'})")
        self.pid, self.since = pid, since


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    for dirpath, _, files in os.walk(path):
        for name in files:
            with open(Path(dirpath) / name, "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(Path(dirpath))


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def link_tree(source: Path, target: Path, ignore=None) -> None:
    """Copy a folder whose files are never rewritten (a Whoosh index, a vector segment) into a new generation by
    hard links: instant, shares the disk space, and the source is still never written. Copies where links fail
    (another file system)."""
    def link_or_copy(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    shutil.copytree(source, target, copy_function=link_or_copy, ignore=ignore)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksums(folder: Path, previous: Path | None = None, known: dict | None = None) -> dict[str, dict]:
    """Size and SHA-256 of every file. A file that is a hard link of the same file in the previous generation
    (same inode) takes its checksum from that generation's manifest instead of being read again."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != MANIFEST and not p.name.lower().endswith("lock"):
            rel = str(p.relative_to(folder))
            st = p.stat()
            old = (previous / rel) if previous is not None else None
            if known and rel in known and old is not None and old.exists() and \
                    (old.stat().st_ino, old.stat().st_dev) == (st.st_ino, st.st_dev):
                out[rel] = known[rel]
            else:
                out[rel] = {"size": st.st_size, "sha256": sha256_file(p)}
    return out


class Generations:
    def __init__(self, root: Path):
        self.root = Path(root)

    # ---- reading -------------------------------------------------------------------------------------------------

    def current(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        return name if _GEN.match(name) else None

    def path(self, name: str) -> Path:
        return self.root / name

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _GEN.match(p.name))

    def manifest(self, name: str) -> dict:
        try:
            return json.loads((self.root / name / MANIFEST).read_text())
        except (OSError, ValueError) as e:
            raise GenerationError(f"generation {name}: unreadable manifest ({e})") from None

    def verify(self, name: str, expect: dict | None = None, under: str | None = None) -> dict:
        """The generation's manifest, after checking the fields in expect and every file's size and SHA-256 (only
        those under the folder `under`, when given)."""
        folder = self.root / name
        m = self.manifest(name)
        for key, want in (expect or {}).items():
            if m.get(key) != want:
                raise GenerationError(f"generation {name} was built with {key}={m.get(key)!r}, "
                                      f"this archive needs {want!r}")
        for rel, info in m.get("files", {}).items():
            if under is not None and not rel.startswith(under.rstrip("/") + "/"):
                continue
            p = folder / rel
            if not p.is_file() or p.stat().st_size != info["size"] or sha256_file(p) != info["sha256"]:
                raise GenerationError(f"generation {name}: {rel} is missing or damaged")
        return m

    # ---- writing -------------------------------------------------------------------------------------------------

    def begin(self) -> Path:
        """A fresh build folder (not live)."""
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(_GEN.match(n)[1]) for n in self.names()]
        for p in self.root.glob("gen-*.building-*"):
            m = re.match(r"gen-(\d{6})\.building-", p.name)
            if m:
                numbers.append(int(m[1]))
        folder = self.root / f"gen-{max(numbers, default=0) + 1:06d}.building-{os.getpid()}"
        folder.mkdir()
        return folder

    def commit(self, building: Path, manifest: dict, previous: str | None = None) -> str:
        """fsync the build, write its manifest with checksums, rename it into place, switch CURRENT to it."""
        fsync_tree(building)
        known = self.manifest(previous).get("files") if previous else None
        files = checksums(building, self.root / previous if previous else None, known)
        manifest = {**manifest, "files": files, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        write_atomic(building / MANIFEST, json.dumps(manifest, indent=1).encode())
        name = building.name.split(".building-")[0]
        os.rename(building, self.root / name)
        fsync_dir(self.root)
        write_atomic(self.root / "CURRENT", (name + "\n").encode())
        return name

    def prune(self, keep: int = 2) -> list[str]:
        """Remove generations older than the live one and the one before it, and abandoned build folders."""
        live = self.current()
        names = self.names()
        keep_set = set(names[names.index(live) - keep + 1:names.index(live) + 1]) if live in names else set(names[-keep:])
        removed = []
        for n in names:
            if n not in keep_set and (live is None or n < live):
                shutil.rmtree(self.root / n, ignore_errors=True)
                removed.append(n)
        for p in self.root.glob("gen-*.building-*"):
            pid = int(p.name.rsplit("-", 1)[1]) if p.name.rsplit("-", 1)[1].isdigit() else 0
            if pid != os.getpid() and not _alive(pid):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
        return removed

    # ---- one writer ----------------------------------------------------------------------------------------------

    @contextmanager
    def lock(self):
        """Exclusive lock for one builder. The kernel drops it when the holder dies (even by SIGKILL), so a stale
        lock file is simply taken over; the file's text says who holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "reindex.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    info = json.loads(os.pread(fd, 4096, 0) or b"{}")
                except ValueError:
                    info = {}
                raise LockedError(info.get("pid"), info.get("since")) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode(), 0)
            yield
        finally:
            os.close(fd)          # closing releases the lock


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
