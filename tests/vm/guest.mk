# ttyscope lab: builds the static guest programs. Invoked by tests/vm/lab as
#   make -r -f tests/vm/guest.mk GUEST_DIR=... OUT=... UAPI=... SRC=... STATIC=...
# Every $(GUEST_DIR)/t-*.c and b-*.c becomes $(OUT)/<name>, linked with
# $(GUEST_DIR)/lib.c when that file exists; t-*32.c become 32-bit (i386)
# programs without lib.c. Any compiler warning is an error.
#
# The daemon and the command line (ttyscoped, ttyscope) and libttyscope are
# built by Meson from $(SRC), linked statically, in $(STATIC). A guest
# program that includes "ttyscope.h" is linked with that libttyscope.

GUEST_DIR ?= tests/vm/guest
OUT ?= build/lab/guest
UAPI ?= kmod/include/uapi
SRC ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
STATIC ?= $(OUT)/../static
GUEST_CC ?= gcc

CFLAGS := -static -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I$(UAPI) -I$(GUEST_DIR)

SRCS := $(sort $(wildcard $(GUEST_DIR)/t-*.c $(GUEST_DIR)/b-*.c))
BINS := $(patsubst $(GUEST_DIR)/%.c,$(OUT)/%,$(SRCS))
LIBSRC := $(wildcard $(GUEST_DIR)/lib.c)
LIBOBJ := $(if $(LIBSRC),$(OUT)/lib.o)
HDRS := $(wildcard $(GUEST_DIR)/*.h) $(shell find $(UAPI) -name '*.h' 2>/dev/null)

TSC_LIB := $(STATIC)/common/libttyscope.a
TSC_TOOLS := $(STATIC)/cli/ttyscoped $(STATIC)/cli/ttyscope
TSC_SRCS := $(if $(SRCS),$(shell grep -l 'include "ttyscope.h"' $(SRCS)))
TSC_BINS := $(patsubst $(GUEST_DIR)/%.c,$(OUT)/%,$(TSC_SRCS))

.PHONY: all tools FORCE
.DELETE_ON_ERROR:

M32_BINS := $(filter $(OUT)/t-%32,$(BINS))

all: $(BINS) tools

$(OUT):
	@mkdir -p $@

$(OUT)/lib.o: $(GUEST_DIR)/lib.c $(HDRS) $(MAKEFILE_LIST) | $(OUT)
	$(GUEST_CC) $(CFLAGS) -c -o $@ $<

$(OUT)/%: $(GUEST_DIR)/%.c $(LIBOBJ) $(HDRS) $(MAKEFILE_LIST) | $(OUT)
	$(GUEST_CC) $(CFLAGS) -o $@ $< $(LIBOBJ)

$(M32_BINS): $(OUT)/%: $(GUEST_DIR)/%.c $(HDRS) $(MAKEFILE_LIST) | $(OUT)
	$(GUEST_CC) $(CFLAGS) -m32 -o $@ $<

$(TSC_BINS): $(OUT)/%: $(GUEST_DIR)/%.c $(LIBOBJ) $(HDRS) $(MAKEFILE_LIST) $(TSC_LIB) | $(OUT)
	$(GUEST_CC) $(CFLAGS) -I$(SRC)/common -o $@ $< $(LIBOBJ) $(TSC_LIB) -lzstd

# Ninja knows whether anything changed; the files are only touched then.
tools: $(TSC_LIB) $(TSC_TOOLS)
$(TSC_LIB) $(TSC_TOOLS) &: FORCE | $(STATIC)/build.ninja
	ninja -C $(STATIC) common/libttyscope.a cli/ttyscoped cli/ttyscope

$(STATIC)/build.ninja:
	meson setup --buildtype=debugoptimized -Dprefer_static=true \
		-Dc_link_args=-static $(STATIC) $(SRC)
