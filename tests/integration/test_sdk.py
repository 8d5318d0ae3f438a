"""The installed SDK on its own: the template plugin built out of tree with find_package,
its unit test against the mock host, the result loaded by the installed hookd-plugin-run;
and a one-file plugin built with pkg-config and a bare compiler."""
import glob
import os
import subprocess

import pytest

from harness import BUILD_DIR, SOURCE_DIR


def sh(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)
    assert p.returncode == 0, "%s\n%s\n%s" % (" ".join(map(str, args)), p.stdout, p.stderr)
    return p.stdout


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    p = tmp_path_factory.mktemp("sdk") / "prefix"
    sh(["cmake", "--install", BUILD_DIR, "--prefix", str(p)])
    return p


def test_install_layout(prefix):
    for f in ["include/hookd/plugin.h", "include/hookd/mock_host.h", "bin/hookd-plugin-run",
              "share/hookd-sdk/mockhost/mock_host.c", "share/hookd-sdk/template/CMakeLists.txt"]:
        assert (prefix / f).exists(), f
    assert glob.glob(str(prefix / "lib*/cmake/hookd-sdk/hookd-sdk-config.cmake"))
    assert glob.glob(str(prefix / "lib*/pkgconfig/hookd-sdk.pc"))


def test_template_out_of_tree(prefix, tmp_path):
    build = tmp_path / "build"
    sh(["cmake", "-S", os.path.join(SOURCE_DIR, "sdk", "template"), "-B", str(build),
        "-DCMAKE_PREFIX_PATH=%s" % prefix, "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"])
    sh(["cmake", "--build", str(build)])
    out = sh(["ctest", "--test-dir", str(build), "--output-on-failure"])
    assert "100% tests passed" in out
    so = build / "template.so"
    assert so.exists()
    exported = sh(["nm", "-D", "--defined-only", str(so)]).split()
    assert "hookd_plugin_v1" in exported and "template_handle" not in exported
    events = os.path.join(SOURCE_DIR, "sdk", "template", "events.jsonl")
    p = subprocess.run([str(prefix / "bin" / "hookd-plugin-run"), "--plugin", str(so),
                        "--events", events], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["evt-1 CASE_OPENED OK", "evt-2 USER_STATE_UPDATED SKIPPED",
                                     "evt-3 CASE_CLOSED OK"]
    assert "event CASE_OPENED evt-1 (attempt 1)" in p.stderr


ONE_FILE = r"""
#include <hookd/plugin.h>

static hookd_result one_handle(void *state, hookd_ctx *ctx, const hookd_event *ev)
{
    (void)state;
    (void)ctx;
    return ev->attempt == 1 ? HOOKD_OK : HOOKD_RETRY;
}

static const char *const one_subscribe[] = {"*", NULL};

HOOKD_PLUGIN_DEFINE(.name = "one", .version = "1.0", .subscribe = one_subscribe,
                    .handle = one_handle);
"""


def test_pkg_config_one_file(prefix, tmp_path):
    pcdir = os.path.dirname(glob.glob(str(prefix / "lib*/pkgconfig/hookd-sdk.pc"))[0])
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
    cflags = sh(["pkg-config", "--cflags", "hookd-sdk"], env=env).split()
    assert sh(["pkg-config", "--modversion", "hookd-sdk"], env=env).strip() == "1.0"
    plugindir = sh(["pkg-config", "--variable=plugindir", "hookd-sdk"], env=env).strip()
    assert os.path.realpath(plugindir).startswith(os.path.realpath(str(prefix)))
    src = tmp_path / "one.c"
    src.write_text(ONE_FILE)
    so = tmp_path / "one.so"
    sh(["cc", *cflags, "-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC",
        "-fvisibility=hidden", "-shared", "-Wl,-z,defs", "-o", str(so), str(src)])
    events = tmp_path / "e.jsonl"
    events.write_text('{"id":"e1","type":"ANY"}\n')
    p = subprocess.run([str(prefix / "bin" / "hookd-plugin-run"), "--plugin", str(so),
                        "--events", str(events)], capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stdout) == (0, "e1 ANY OK\n"), p.stderr
