# restorecheck — the two commands a newcomer needs are `make demo` and `make test`.
SWIFT ?= swift
PREFIX ?= /usr/local
CONFIG ?= config/demo/restorecheck.yaml
RELEASE_BIN = .build/release/restorecheck

.PHONY: all deps build release demo demo-check test clean

all: build

deps:
	@bash .ci/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Builds, generates a demo backup set under .demo/ with real tools (GNU tar, zip, 7z, cpio), and
# restore-tests it. One demo target (initech/nas) is stale and was altered after its manifest was
# taken, so the table shows what a failure looks like; exit status 1 is that failure, as intended.
demo: release
	@bash config/demo/generate.sh
	@echo
	@echo "$$ restorecheck run --config $(CONFIG)"
	@$(RELEASE_BIN) run --config $(CONFIG); status=$$?; \
	  if [ $$status -eq 1 ]; then echo "(exit 1: a target failed — initech/nas is broken on purpose; see README)"; exit 0; fi; \
	  exit $$status

# CI's stricter form of the demo: exactly the deliberately broken target fails, for the right reasons.
demo-check: release
	@bash config/demo/generate.sh >/dev/null
	@$(RELEASE_BIN) run --config $(CONFIG) --json > .demo/result.json; test $$? -eq 1
	@python3 -c 'import json,sys; r={x["target"]:x for x in json.load(open(".demo/result.json"))["results"]}; \
	  bad=[t for t,x in r.items() if x["status"]!="passed"]; \
	  assert bad==["nas"], bad; assert r["nas"]["reasons"]==["rpo_exceeded","checksum_mismatch"], r["nas"]["reasons"]; \
	  print("demo-check: 4 passed, initech/nas failed as designed")'

test: deps
	$(SWIFT) test

clean:
	rm -rf .build .demo
