#!/usr/bin/env python3
"""run_readme.py -- runs the commands of the README files exactly as they are printed, in a
fresh copy of the repository, so the README cannot drift from the product (issue #16).

A fenced code block is run when the line before it is an HTML comment (invisible on GitHub):

    <!-- readme-test: run -->                 run it with bash (set -euo pipefail); exit 0
    <!-- readme-test: run; expect TEXT -->    ... and TEXT appears in what it printed
    <!-- readme-test: run; log TEXT -->       ... and TEXT appears in the server's output
    <!-- readme-test: start; wait TEXT -->    start it in the background (the server), and
                                              wait until TEXT appears in its output
    <!-- readme-test: file PATH -->           write the block to PATH

Every block runs from the copy's root, in the order of the files given and of the blocks in
them. The server started by a "start" block is stopped with SIGTERM at the end (by its PID).

usage: run_readme.py SOURCE_DIR README.md [plugins/exec/README.md ...]
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MARK = re.compile(r"^<!-- readme-test: (.*?) -->\s*$")
FENCE = re.compile(r"^```")
WAIT_S = 60  # a bound on waiting for output, not a speed requirement


def blocks(path):
    """(line number, directives, code) for every marked block of the file."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    for i, line in enumerate(lines):
        m = MARK.match(line)
        if not m:
            continue
        if i + 1 >= len(lines) or not FENCE.match(lines[i + 1]):
            sys.exit("%s:%d: readme-test mark not followed by a code block" % (path, i + 1))
        end = i + 2
        while end < len(lines) and not FENCE.match(lines[end]):
            end += 1
        directives = [d.strip() for d in m.group(1).split(";") if d.strip()]
        out.append((i + 1, directives, "\n".join(lines[i + 2:end]) + "\n"))
    return out


def copy_tree(src, dst):
    """The files a clone would have (tracked, plus new files not ignored), without builds."""
    listed = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True)
    if listed.returncode != 0:
        sys.exit("run_readme: %s is not a git checkout" % src)
    for rel in filter(None, listed.stdout.decode().split("\0")):
        s = os.path.join(src, rel)
        if not os.path.lexists(s) or os.path.isdir(s):
            continue  # deleted in the working tree, or a submodule
        d = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        shutil.copy2(s, d, follow_symlinks=False)


class Server:
    def __init__(self, root, code, where):
        self.log_path = os.path.join(root, ".readme-server.log")
        self.log = open(self.log_path, "wb")
        self.where = where
        self.proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", code], cwd=root,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_for(self, text, what):
        deadline = time.time() + WAIT_S + 600  # the first start also builds
        while time.time() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        fail(self.where, "%s: %r never appeared in the server's output" % (what, text),
             self.output()[-6000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # bash exec'd hookd: this PID is hookd
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def fail(where, why, output=""):
    print("README step failed: %s: %s" % (where, why))
    if output:
        print("--- its output ---\n%s\n---" % output.rstrip())
    sys.exit(1)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="hookd-readme-")
    root = os.path.join(work, "hookd")
    copy_tree(src, root)
    server = None
    steps = 0
    try:
        for readme in sys.argv[2:]:
            for line, directives, code in blocks(os.path.join(root, readme)):
                where = "%s:%d" % (readme, line)
                action, _, arg = directives[0].partition(" ")
                checks = [d.partition(" ") for d in directives[1:]]
                steps += 1
                print("== %s: %s" % (where, directives[0]), flush=True)
                if action == "file":
                    path = os.path.join(root, arg)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(code)
                    continue
                if action == "start":
                    if server:
                        fail(where, "a second server: the walkthrough starts one")
                    server = Server(root, code, where)
                    for kind, _, text in checks:
                        if kind == "wait":
                            server.wait_for(text, where)
                    continue
                if action != "run":
                    fail(where, "unknown readme-test action %r" % action)
                p = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=root,
                                   capture_output=True, timeout=900, stdin=subprocess.DEVNULL)
                out = (p.stdout + p.stderr).decode(errors="replace")
                print(out.rstrip()[-3000:], flush=True)
                if p.returncode != 0:
                    fail(where, "exit status %d" % p.returncode, out)
                for kind, _, text in checks:
                    if kind == "expect" and text not in out:
                        fail(where, "%r not in what it printed" % text, out)
                    if kind == "log":
                        if not server:
                            fail(where, "log check without a server")
                        server.wait_for(text, where)
    finally:
        rc = server.stop() if server else 0
    if server and rc != 0:
        fail("the server", "exit status %s after SIGTERM" % rc, server.output()[-6000:])
    if steps == 0:
        fail(sys.argv[2], "no readme-test blocks found")
    shutil.rmtree(work, ignore_errors=True)
    print("README walkthrough: %d steps passed" % steps)


if __name__ == "__main__":
    main()
