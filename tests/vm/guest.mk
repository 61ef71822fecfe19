# ttyscope lab: builds the static guest programs. Invoked by tests/vm/lab as
#   make -r -f tests/vm/guest.mk GUEST_DIR=... OUT=... UAPI=...
# Every $(GUEST_DIR)/t-*.c and b-*.c becomes $(OUT)/<name>, linked with
# $(GUEST_DIR)/lib.c when that file exists; t-*32.c become 32-bit (i386)
# programs without lib.c. Any compiler warning is an error.

GUEST_DIR ?= tests/vm/guest
OUT ?= build/lab/guest
UAPI ?= kmod/include/uapi
GUEST_CC ?= gcc

CFLAGS := -static -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I$(UAPI) -I$(GUEST_DIR)

SRCS := $(sort $(wildcard $(GUEST_DIR)/t-*.c $(GUEST_DIR)/b-*.c))
BINS := $(patsubst $(GUEST_DIR)/%.c,$(OUT)/%,$(SRCS))
LIBSRC := $(wildcard $(GUEST_DIR)/lib.c)
LIBOBJ := $(if $(LIBSRC),$(OUT)/lib.o)
HDRS := $(wildcard $(GUEST_DIR)/*.h) $(shell find $(UAPI) -name '*.h' 2>/dev/null)

.PHONY: all
.DELETE_ON_ERROR:

M32_BINS := $(filter $(OUT)/t-%32,$(BINS))

all: $(BINS)

$(OUT):
	@mkdir -p $@

$(OUT)/lib.o: $(GUEST_DIR)/lib.c $(HDRS) $(MAKEFILE_LIST) | $(OUT)
	$(GUEST_CC) $(CFLAGS) -c -o $@ $<

$(OUT)/%: $(GUEST_DIR)/%.c $(LIBOBJ) $(HDRS) $(MAKEFILE_LIST) | $(OUT)
	$(GUEST_CC) $(CFLAGS) -o $@ $< $(LIBOBJ)

$(M32_BINS): $(OUT)/%: $(GUEST_DIR)/%.c $(HDRS) $(MAKEFILE_LIST) | $(OUT)
	$(GUEST_CC) $(CFLAGS) -m32 -o $@ $<
