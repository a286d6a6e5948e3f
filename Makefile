# SPDX-License-Identifier: GPL-2.0
#
# pagelab - top-level Makefile.  The module itself is described in Kbuild;
# this file wraps kbuild and adds the project's own targets:
#
#   make setup      install the Debian packages pagelab needs (root; apt-get
#                   update first) and fill its cache; check, check-debug,
#                   demo, lint and bench run it first themselves
#   make            build pagelab.ko, the KUnit module and the userspace tools
#                   (installs nothing: says what is missing instead)
#   make KERNEL=6.12  the same for another of Debian 12's kernels: 6.1 (the
#                   default), 6.1-rt, 6.12 or 6.12-rt (not installed: setup
#                   downloads it into the cache, and the modules are built
#                   in a copy of the sources there)
#   make check      the one test command: lint, KUnit and userspace tests in
#                   the guest, the debug-kernel lane, harness self-tests; ends
#                   with "N passed, N failed" (KERNELS: the kernels of the
#                   lint and guest lanes, default "6.1 6.12 6.12-rt 6.1-rt";
#                   KERNEL=K alone: just K)
#   make check-debug  the debug-kernel lane alone: builds (once, ~15 min) a
#                   6.12 kernel with KASAN, lockdep, DEBUG_VM, kmemleak, KUnit,
#                   fault injection; KUnit + every userspace test on it
#                   (KERNEL=6.1: the same from 6.1's source)
#   make install    pagelab.ko into /lib/modules/KVER/updates, then depmod
#                   (KVER: the running kernel, or KERNEL's)
#   make demo       boot the guest, load pagelab, run "pagelab tour"
#   make lint       checkpatch --strict, W=1, sparse (zero findings)
#   make bench      fault cost vs the kernel's anonymous faults, in the guest
#   make clean
#
# Every target except clean and help first runs scripts/setup.sh, which
# prints the kernel version and cache paths (and installs what is missing
# for the goals above that say so).

# The kernel to build for (scripts/setup.sh lists the choices), also
# PAGELAB_KERNEL; exported so that scripts/vm boots the same one.  KERNELS:
# the kernels make check and make lint cover.
KERNEL ?= $(or $(PAGELAB_KERNEL),6.1)
export PAGELAB_KERNEL := $(KERNEL)
KERNELS ?= $(if $(filter command line environment,$(origin KERNEL)),$(KERNEL),6.1 6.12 6.12-rt 6.1-rt)
DEBUG_SERIES := $(if $(filter command line environment,$(origin KERNEL)),$(KERNEL),$(or $(PAGELAB_DEBUG_SERIES),6.12))

# When make started: check.sh's time guard counts setup and builds too.
ifeq ($(origin PAGELAB_CHECK_T0),undefined)
PAGELAB_CHECK_T0 := $(shell date +%s)
endif
export PAGELAB_CHECK_T0

# scripts/setup.sh runs first for every goal but these; it installs Debian
# packages only for make setup and the goals that boot guests (so README's
# two commands still do everything on a fresh machine).  For the build-only
# goals it installs nothing and, if something is missing, says so.
NO_SETUP_GOALS := clean help
INSTALL_GOALS := setup check check-debug demo lint bench
SETUP_INSTALL := $(if $(filter $(INSTALL_GOALS),$(MAKECMDGOALS)),1,$(or $(PAGELAB_SETUP_INSTALL),0))
# Inherited by the makes that check.sh and lint.sh run for each kernel.
export PAGELAB_SETUP_INSTALL := $(SETUP_INSTALL)
ifneq ($(filter-out $(NO_SETUP_GOALS),$(or $(MAKECMDGOALS),all)),)
SETUP_ENV := $(shell KDIR=$(KDIR) PAGELAB_KERNEL=$(KERNEL) PAGELAB_SETUP_INSTALL=$(SETUP_INSTALL) \
	scripts/setup.sh || echo SETUP_FAILED=1)
$(foreach kv,$(SETUP_ENV),$(eval $(kv)))
ifneq ($(SETUP_FAILED),)
$(error scripts/setup.sh failed (see its message above))
endif
endif

# kunit.ko's symbols, when the kernel has no built-in KUnit.
KUNIT_SYMVERS := $(if $(wildcard $(KUNIT)/Module.symvers),$(KUNIT)/Module.symvers)
KBUILD_ARGS := -C $(KDIR) M=$(MODDIR) KBUILD_EXTRA_SYMBOLS="$(KUNIT_SYMVERS)"

# Kbuild writes objects beside the sources, so for a kernel other than 6.1
# the modules are built in a copy of their sources in the cache (MODDIR; for
# 6.1 it is this tree).  The copy is made afresh each time, keeping the
# sources' times, so kbuild still rebuilds only what changed, and a file
# removed here is gone there too.
MOD_SRC_FIND := -name Kbuild -o \( -name '*.[ch]' ! -name '*.mod.c' \)

CC_USER := gcc
CFLAGS_USER := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -static \
	-Imodule -Iuserspace/lib
UBUILD := userspace/build
LIB_SRC := $(wildcard userspace/lib/*.c)
CLI_SRC := $(wildcard userspace/*.c)
TEST_SRC := $(wildcard userspace/tests/*_test.c)
TESTS := $(patsubst userspace/tests/%.c,$(UBUILD)/%,$(TEST_SRC))
HDRS := $(wildcard module/uapi/*.h) $(wildcard userspace/lib/*.h)
FUZZ_SRC := $(wildcard userspace/fuzz/*.c)
FUZZ_HDRS := $(wildcard userspace/fuzz/*.h)

.PHONY: all module tools check check-debug demo lint bench clean help fixture tree install setup

all: module tools

# Everything is installed and cached by now (setup.sh ran above).
setup:
	@echo "pagelab: setup done for Linux $(KVER) (KERNEL=$(KERNEL)); cache: $(CACHE)"

tree:
ifneq ($(MODDIR),$(CURDIR))
	@mkdir -p $(MODDIR)
	@cd $(MODDIR) && find . $(MOD_SRC_FIND) | xargs -r rm -f
	@cp -p --parents Kbuild $$(find module kunit scripts/fixture $(MOD_SRC_FIND)) $(MODDIR)/
endif

module: tree
	$(MAKE) $(KBUILD_ARGS) modules

fixture: tree
	$(MAKE) -C $(KDIR) M=$(MODDIR)/scripts/fixture modules

tools: $(UBUILD)/pagelab $(TESTS) $(UBUILD)/pagelab-fuzz

$(UBUILD)/pagelab: $(CLI_SRC) $(LIB_SRC) $(HDRS)
	@mkdir -p $(UBUILD)
	$(CC_USER) $(CFLAGS_USER) -o $@ $(CLI_SRC) $(LIB_SRC)

$(UBUILD)/pagelab-fuzz: $(FUZZ_SRC) $(FUZZ_HDRS) $(LIB_SRC) $(HDRS)
	@mkdir -p $(UBUILD)
	$(CC_USER) $(CFLAGS_USER) -o $@ $(FUZZ_SRC) $(LIB_SRC)

$(UBUILD)/%_test: userspace/tests/%_test.c $(LIB_SRC) $(HDRS)
	@mkdir -p $(UBUILD)
	$(CC_USER) $(CFLAGS_USER) -Wno-unused-parameter -I$(SRC)/tools/testing/selftests \
		-o $@ $< $(LIB_SRC) -lpthread

check: all fixture
	scripts/check.sh $(KERNELS)

check-debug: tools
	PAGELAB_DEBUG_SERIES=$(DEBUG_SERIES) scripts/check-debug.sh

# pagelab.ko alone (no KUnit module: Debian's kernels have no KUnit) into
# /lib/modules/$(KVER)/updates, then depmod; INSTALL_MOD_PATH=DIR stages it
# under DIR instead.  Kbuild signs it only where the kernel's key is at hand.
install: tree
	$(MAKE) $(KBUILD_ARGS) PAGELAB_NO_KUNIT=1 modules
	$(MAKE) $(KBUILD_ARGS) PAGELAB_NO_KUNIT=1 INSTALL_MOD_DIR=updates modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)
	@echo "pagelab: installed in $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/updates; modprobe pagelab"

demo: all
	scripts/vm run -- pagelab tour

lint: all
	scripts/lint.sh $(KERNELS)

bench: all
	scripts/bench.sh

clean:
	rm -rf $(UBUILD)
	find . -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name modules.order -o -name Module.symvers \
		| xargs rm -f

help:
	@sed -n '3,33p' Makefile | sed 's/^# \{0,1\}//'
