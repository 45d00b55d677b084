# restorecheck — the two commands a newcomer needs are `make demo` and `make test`.
SWIFT ?= swift
PREFIX ?= /usr/local
CONFIG ?= config/demo/restorecheck.yaml
RELEASE_BIN = .build/release/restorecheck
# bash, for PIPESTATUS in `make test`.
SHELL := /bin/bash
# The demo shares the debug build with `make test` (one clean build instead of two); `make install`
# builds the optimised binary.
DEMO_BIN = .build/debug/restorecheck
# `restorecheck --version` names the commit it was built from (Package.swift reads this).
export RESTORECHECK_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null)
# Where `make deb` puts the package.
DEB_DIR = .build/deb

.PHONY: all deps build release deb deb-check demo demo-check demo-reports demo-deliver demo-restore report-screenshot test bench bench-smoke soak install clean

all: build

deps:
	@bash .ci/install-deps

build: deps
	$(SWIFT) build

# The optimised binary, with the Swift standard library and Foundation linked in, so a host needs
# only Debian's own libraries to run it (the package, `make install`, `make bench` share it). Only
# the product: the test support targets import Core with @testable, which a release build refuses.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product restorecheck

# restorecheck_<version>_amd64.deb in .build/deb (docs/packaging.md): dpkg-deb, no network; the
# man page from the argument parser's generate-manual, built here as well.
deb: release
	$(SWIFT) build -c release --static-swift-stdlib --product generate-manual
	bash config/debian/build-deb.sh $(RELEASE_BIN) .build/release/generate-manual $(DEB_DIR)

# The package checked as CI checks it (root, Debian's registry): lintian, then installed on a clean
# Debian 12 root, used, upgraded to the same binary packaged as a higher version, removed, purged.
deb-check: deb
	@RESTORECHECK_DEB=1 bash .ci/install-deps
	@version=$$($(RELEASE_BIN) --version | awk '{print $$2}'); \
	  package=$(DEB_DIR)/restorecheck_$${version}_amd64.deb; \
	  echo "$$ lintian $$package"; lintian --fail-on error,warning $$package && \
	  upgrade=$$(DEB_VERSION=$${version}+1 bash config/debian/build-deb.sh $(RELEASE_BIN) .build/release/generate-manual $(DEB_DIR)/upgrade) && \
	  DEB_CHECK_ROOT_CACHE=$(DEB_DIR)/bookworm-minbase.tar bash Tests/Package/deb-install-test.sh $$package $$upgrade

# Builds, generates a demo backup set under .demo/ with real tools (GNU tar, zip, 7z, cpio, restic, borg), and
# restore-tests it. One demo target (initech/nas) is stale and was altered after its manifest was
# taken, so the table shows what a failure looks like; exit status 1 is that failure, as intended.
demo: build
	@bash config/demo/generate.sh
	@echo
	@echo "$$ restorecheck run --config $(CONFIG)"
	@$(DEMO_BIN) run --config $(CONFIG); status=$$?; \
	  if [ $$status -eq 1 ]; then echo "(exit 1: a target failed — initech/nas is broken on purpose; see README)"; exit 0; fi; \
	  exit $$status
	@$(MAKE) --no-print-directory demo-reports

# The customers' reports from the demo's history (signed), and the check an auditor runs on it.
demo-reports:
	@echo
	@echo "$$ restorecheck report --config $(CONFIG) --all-tenants --output-dir .demo/reports --sign"
	@$(DEMO_BIN) report --config $(CONFIG) --all-tenants --since 30d --output-dir .demo/reports --sign
	@$(DEMO_BIN) report --config $(CONFIG) --all-tenants --since 30d --format json --output-dir .demo/reports >/dev/null
	@echo
	@echo "$$ restorecheck evidence verify --config $(CONFIG)"
	@$(DEMO_BIN) evidence verify --config $(CONFIG)
	@echo
	@echo "Open a report in a browser, e.g. file://$(CURDIR)/.demo/reports/initech.html"
	@$(MAKE) --no-print-directory demo-deliver
	@$(MAKE) --no-print-directory demo-restore

# Report delivery: initech's report mailed, as `reports.deliver` would on its schedule, to a local
# SMTP sink (aiosmtpd on loopback, a Maildir under .demo/mail; no network); then the breaches open now.
DEMO_SMTP_PORT := 2525
demo-deliver:
	@rm -rf .demo/mail
	@if python3 -c 'import socket; socket.create_connection(("127.0.0.1", $(DEMO_SMTP_PORT)), 1)' 2>/dev/null; then \
	  echo "port $(DEMO_SMTP_PORT) is in use: the demo's SMTP sink needs it (config/demo/restorecheck.yaml, smtp.server)"; exit 1; fi
	@python3 -m aiosmtpd -n -l 127.0.0.1:$(DEMO_SMTP_PORT) -c aiosmtpd.handlers.Mailbox .demo/mail & sink=$$!; \
	  trap "kill $$sink 2>/dev/null" EXIT; \
	  for i in $$(seq 100); do python3 -c 'import socket; socket.create_connection(("127.0.0.1", $(DEMO_SMTP_PORT)), 1)' 2>/dev/null && break; sleep 0.1; done; \
	  echo; echo "$$ restorecheck report --config $(CONFIG) --tenant initech --deliver"; \
	  $(DEMO_BIN) report --config $(CONFIG) --tenant initech --deliver && python3 config/demo/show-mail.py .demo/mail
	@echo
	@echo "$$ restorecheck notify status --config $(CONFIG)"
	@$(DEMO_BIN) notify status --config $(CONFIG)

# The bad day: one folder of acme's file server back, from its newest verified restore point, every
# file checked against the manifest as it is written; then compared with the source by diff.
demo-restore:
	@rm -rf .demo/restored
	@echo
	@echo "$$ restorecheck restore fileserver --config $(CONFIG) --to .demo/restored --include home/alice/Documents"
	@$(DEMO_BIN) restore fileserver --config $(CONFIG) --to .demo/restored --include home/alice/Documents
	@echo
	@echo "$$ diff -r .demo/source/acme/home/alice/Documents .demo/restored/home/alice/Documents"
	@diff -r .demo/source/acme/home/alice/Documents .demo/restored/home/alice/Documents && echo "identical: $$(ls .demo/restored/home/alice/Documents | wc -l) files"

# The README's screenshot, made from the demo's report of the broken tenant by headless Chromium.
report-screenshot: demo
	chromium --headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --hide-scrollbars \
	  --window-size=1100,1500 --screenshot=config/demo/report-initech.png file://$(CURDIR)/.demo/reports/initech.html

# CI's stricter form of the demo: exactly the deliberately broken target fails, for the right reasons.
demo-check: build
	@bash config/demo/generate.sh >/dev/null
	@$(DEMO_BIN) run --config $(CONFIG) --json > .demo/result.json; test $$? -eq 1
	@python3 -c 'import json,sys; r={x["target"]:x for x in json.load(open(".demo/result.json"))["results"]}; \
	  bad=[t for t,x in r.items() if x["status"]!="passed"]; \
	  assert bad==["nas"], bad; assert r["nas"]["reasons"]==["rpo_exceeded","checksum_mismatch"], r["nas"]["reasons"]; \
	  c=r["fileserver"]["coverage"]; assert 50 <= c["files_verified"] <= c["files"], c; \
	  assert {"fileserver-restic","accounting-borg"} <= set(r), sorted(r); \
	  print("demo-check:", len(r) - 1, "passed (restic and borg among them), initech/nas failed as designed; acme/fileserver coverage", c["files_verified"], "of", c["files"])'
	@$(DEMO_BIN) report --config $(CONFIG) --all-tenants --format json --output-dir .demo/reports >/dev/null
	@python3 -c 'import json; r=json.load(open(".demo/reports/initech.json")); nas=r["targets"][0]; \
	  assert nas["target"]=="nas" and nas["rpo_met"] is False, nas; \
	  kinds={b["kind"] for b in r["breaches"] if "resolved" not in b}; \
	  assert {"failed_test","never_verified"} <= kinds, kinds; print("demo-check: initech report shows the open breaches", sorted(kinds))'
	@$(DEMO_BIN) evidence verify --config $(CONFIG) >/dev/null && echo "demo-check: evidence chain intact"
	@$(MAKE) --no-print-directory demo-restore >/dev/null && echo "demo-check: one folder restored from the newest verified point, identical to the source"
	@$(MAKE) --no-print-directory demo-deliver >/dev/null
	@cd .demo/mail/attachments && ls initech-*.pdf >/dev/null && pdftotext initech-*.pdf - | grep -q "Restore assurance report: initech" \
	  && $(CURDIR)/$(DEMO_BIN) evidence public-key --config $(CURDIR)/$(CONFIG) > msp.pub.pem \
	  && openssl pkeyutl -verify -pubin -inkey msp.pub.pem -rawin -in initech-*.json -sigfile "$$(ls initech-*.json).sig" >/dev/null \
	  && echo "demo-check: initech's report delivered by mail: the PDF reads, the signed JSON verifies"

# The full output is kept in .build/test-output.log; on failure the failing expectations are repeated
# last, so a CI log that keeps only its tail still names them.
test:
	@RESTORECHECK_S3_SERVERS=1 bash .ci/install-deps
	@mkdir -p .build
	@$(SWIFT) test 2>&1 | tee .build/test-output.log; status=$${PIPESTATUS[0]}; \
	  if [ $$status -ne 0 ]; then \
	    echo; echo "== failed tests (full log: .build/test-output.log) =="; \
	    grep -E '✘ Test .*(recorded an issue|failed after)|error:|Fatal error|Crash' .build/test-output.log | cut -c1-400 | tail -n 20; \
	  fi; exit $$status

# Speed and memory against GNU tar + sha256sum, bsdtar and the decode floor, in one run (~15 min for
# the default 1 GiB set plus the 4 GiB RSS check; datasets are cached in .bench/). Not part of `make test`.
bench: release
	@command -v wrk >/dev/null || RESTORECHECK_BENCH=1 bash .ci/install-deps
	python3 Benchmarks/bench.py $(BENCH_ARGS)
	python3 Benchmarks/daemon_bench.py
	python3 Benchmarks/report_bench.py
	python3 Benchmarks/fleet_db_bench.py
	python3 Benchmarks/fleet_queue_bench.py
	@command -v rclone >/dev/null || RESTORECHECK_S3_SERVERS=1 bash .ci/install-deps
	python3 Benchmarks/s3_bench.py

# A one-minute version to check the harness itself.
bench-smoke: release
	python3 Benchmarks/bench.py --size-mib 64 --reps 1 --scale 2 --small-files 20000

# A daemon soak (90 s): hostile and honest clients on the TLS + basic-auth endpoint, SIGHUP every
# 1.5 s, tests every 20 s; the daemon must stay up, answer, record passes and exit cleanly.
soak: release
	python3 Benchmarks/endpoint_soak.py $(SOAK_ARGS)

# From source, without the package: installs the binary, the systemd units (their paths under
# PREFIX), an example config (never over an existing one), the alert rules and the README. Then:
# create the user (see README), edit the config, `systemctl daemon-reload && systemctl enable --now
# restorecheck`.
install: release
	install -D -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/restorecheck
	for unit in restorecheck.service restorecheck-run@.service restorecheck-run@.timer; do \
	  sed 's|/usr/local/|$(PREFIX)/|g' systemd/$$unit > .build/$$unit && \
	  install -D -m 0644 .build/$$unit $(DESTDIR)/etc/systemd/system/$$unit || exit 1; done
	install -d -m 0755 $(DESTDIR)/etc/restorecheck
	[ -e $(DESTDIR)/etc/restorecheck/restorecheck.yaml ] || \
	  install -m 0640 config/restorecheck.example.yaml $(DESTDIR)/etc/restorecheck/restorecheck.yaml
	install -D -m 0644 config/prometheus/restorecheck-alerts.yml $(DESTDIR)$(PREFIX)/share/restorecheck/restorecheck-alerts.yml
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/restorecheck/README.md

clean:
	rm -rf .build .demo
