#!/usr/bin/env python3
"""Writes hostile tar archives for restorecheck's tests (Python's tarfile, no downloaded corpora).

usage: make_hostile.py KIND OUT.tar SENTINEL_DIR

The tests re-encode the tar into cpio, zip and 7z with `bsdtar -P @OUT.tar` (which keeps the names
as they are) and put it under every compression filter. SENTINEL_DIR is a directory outside scratch
that a successful attack would write into; the tests assert it stays untouched.
"""
import io
import sys
import tarfile

kind, out, sentinel = sys.argv[1], sys.argv[2], sys.argv[3]


def add_file(t, name, data=b"payload\n", mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    t.addfile(info, io.BytesIO(data))


def add_special(t, name, type_, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = type_
    info.linkname = linkname
    if type_ in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    t.addfile(info)


with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    if kind == "traversal":
        add_file(t, "../../escaped-relative")
        add_file(t, sentinel + "/escaped-absolute")
        add_file(t, "a/../../../escaped-middle")
        add_file(t, "..\\..\\escaped-backslash")
        add_file(t, "x" * 300 + "/too-long-component")
        add_file(t, "safe.txt", b"safe\n")
    elif kind == "symlink":
        # A link to the sentinel (and one to /), then files "through" them.
        add_special(t, "link", tarfile.SYMTYPE, sentinel)
        add_file(t, "link/through-symlink")
        add_special(t, "root", tarfile.SYMTYPE, "/")
        add_file(t, "root" + sentinel + "/through-root-link")
        add_file(t, "safe.txt", b"safe\n")
    elif kind == "hardlink":
        add_special(t, "hard-abs", tarfile.LNKTYPE, "/etc/passwd")
        add_special(t, "hard-out", tarfile.LNKTYPE, "../../outside")
        # A hardlink header that carries data of its own.
        info = tarfile.TarInfo("hard-with-data")
        info.type = tarfile.LNKTYPE
        info.linkname = "safe.txt"
        info.size = 8
        t.addfile(info, io.BytesIO(b"smuggled"))
        add_file(t, "safe.txt", b"safe\n")
    elif kind == "special":
        add_special(t, "dev/mem", tarfile.CHRTYPE)
        add_special(t, "dev/blk", tarfile.BLKTYPE)
        add_special(t, "fifo", tarfile.FIFOTYPE)
        add_file(t, "setuid-root", b"#!/bin/sh\n", mode=0o4755)
        add_file(t, "setgid", b"x\n", mode=0o2755)
        add_file(t, "safe.txt", b"safe\n")
    elif kind == "nonutf8":
        info = tarfile.TarInfo("caf\udce9.txt")  # the raw byte 0xE9: Latin-1, not UTF-8
        info.size = 5
        t.addfile(info, io.BytesIO(b"cafe\n"))
        add_file(t, "safe.txt", b"safe\n")
    else:
        sys.exit("unknown kind " + kind)
