#!/usr/bin/env python3
"""Checks what a client downloaded from kubetac's package server against the
package's manifest.json (every file's size and SHA-256), for
bench/ops-center-load.sh.

Usage:
  verify.py list MANIFEST
      one line per file of the package: PATH BYTES SHA256 (manifest.json
      itself included, with the digest of MANIFEST's bytes)
  verify.py tar MANIFEST < PKG.tar.gz
      reads `/tac/<id>.tar.gz` from standard input as a stream (nothing is
      written to disk): every regular entry must be `<id>/PATH` of a file of
      the manifest with its size and digest, and every file of the
      manifest must be there, once
  verify.py dir MANIFEST DIR
      a `wget -r -np` mirror: every file of the manifest under DIR with its
      size and digest (the listings wget saved as index.html are ignored,
      except where the package has a file of that name: that one is checked)

`tar` and `dir` print `ok FILES BYTES` and exit 0, or `FAIL: reasons` and
exit 1.
"""
import hashlib
import json
import os
import sys
import tarfile

CHUNK = 1 << 20


def load(path):
    raw = open(path, "rb").read()
    m = json.loads(raw)
    files = {f["path"]: (f["bytes"], f["sha256"]) for f in m["files"]}
    files["manifest.json"] = (len(raw), hashlib.sha256(raw).hexdigest())
    return m["id"], files


def digest(f):
    h, n = hashlib.sha256(), 0
    while True:
        b = f.read(CHUNK)
        if not b:
            return n, h.hexdigest()
        n += len(b)
        h.update(b)


def check(files, got):
    """got: path -> (bytes, sha256) (or a list of reasons under None)."""
    bad = list(got.pop(None, []))
    for path, want in sorted(files.items()):
        have = got.get(path)
        if have is None:
            bad.append(f"missing {path}")
        elif have != want:
            bad.append(f"{path}: {have[0]} bytes sha256 {have[1][:12]}, manifest {want[0]} {want[1][:12]}")
    if bad:
        print("FAIL: " + "; ".join(bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else ""))
        return 1
    print(f"ok {len(files)} {sum(b for b, _ in files.values())}")
    return 0


def main():
    mode, manifest = sys.argv[1], sys.argv[2]
    pkg, files = load(manifest)
    if mode == "list":
        for path, (n, sha) in sorted(files.items()):
            print(path, n, sha)
        return 0
    got = {None: []}
    if mode == "tar":
        try:
            with tarfile.open(fileobj=sys.stdin.buffer, mode="r|gz") as t:
                for e in t:
                    if not e.isfile():
                        continue
                    prefix, _, rel = e.name.partition("/")
                    if prefix != pkg or rel not in files:
                        got[None].append(f"unexpected entry {e.name}")
                        continue
                    if rel in got:
                        got[None].append(f"{e.name} twice")
                    got[rel] = digest(t.extractfile(e))
        except (tarfile.TarError, EOFError, OSError, ValueError) as e:
            got[None].append(f"broken archive: {e}")
        # Whatever follows the archive (nothing should) is drained, so the
        # sender never sees a broken pipe.
        while sys.stdin.buffer.read(CHUNK):
            pass
    elif mode == "dir":
        root = sys.argv[3]
        for path in files:
            try:
                with open(os.path.join(root, path), "rb") as f:
                    got[path] = digest(f)
            except OSError:
                pass
    else:
        sys.exit(f"unknown mode {mode}")
    return check(files, got)


if __name__ == "__main__":
    sys.exit(main())
