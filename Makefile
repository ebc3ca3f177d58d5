# sockbox: one binary, seven applets. See README.md.
CC      ?= cc
# Inlining and vectorising bought no speed (sockbox's time is in the
# kernel) and cost a tenth of the binary.
CFLAGS  ?= -O2 -fno-inline-functions -fno-tree-vectorize
LDFLAGS ?=
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
# bash-completion loads completions/NAME when NAME is first completed.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

# Flags sockbox always needs, on top of the user's CFLAGS.
SB_CFLAGS = -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -MMD -MP -pthread
SB_LDFLAGS = -pthread

# The applet names, read from the same table the dispatcher is built from.
APPLETS := $(shell grep -o '^APPLET.[a-z0-9_]*' applets/applets.h | cut -c8-)
SRCS    := $(sort $(wildcard applets/*.c lib/*.c))

# Each variant builds in its own directory: obj/opt for ./sockbox, obj/san
# for the sanitizer binary, obj/static for the static musl one.
ifeq ($(SANITIZE),1)
VARIANT  = san
BIN      = obj/san/sockbox
SB_CFLAGS += -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
SB_LDFLAGS += -fsanitize=address,undefined
else
VARIANT  = opt
BIN      = sockbox
# Size: C needs no unwind tables, calls go through the GOT without a PLT,
# and code and data share one segment instead of page-aligned ones.
SB_CFLAGS += -fno-asynchronous-unwind-tables -fno-plt
SB_LDFLAGS += -Wl,-z,noseparate-code
endif
OBJS = $(SRCS:%.c=obj/$(VARIANT)/%.o)

BATS ?= bats
BATS_JOBS ?=

.PHONY: all check check-static static fuzz fuzz-build fuzz-replay bench \
	soak install uninstall clean

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $(SB_LDFLAGS) $(LDFLAGS) -o $@ $(OBJS)

obj/$(VARIANT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SB_CFLAGS) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

# make check [SANITIZE=1] [TESTS=tests/NAME.bats]
TESTS ?= tests
check: $(BIN)
	SOCKBOX=$(abspath $(BIN)) $(BATS) $(BATS_JOBS) $(TESTS)

# A static binary against musl (Debian's musl-tools).
MUSL_CC ?= musl-gcc
# Built for size: its point is start-up time and a small self-contained file.
static:
	$(MAKE) VARIANT=static BIN=sockbox-static CC=$(MUSL_CC) \
		CFLAGS="-Os -ffunction-sections -fdata-sections" \
		LDFLAGS="-static -Wl,--gc-sections $(LDFLAGS)" sockbox-static

# make check-static: the whole suite against the static musl binary.
check-static: static
	SOCKBOX=$(abspath sockbox-static) $(BATS) $(BATS_JOBS) $(TESTS)

# Fuzzing with libFuzzer (Debian's clang): fuzz/fuzz_NAME.c is a target,
# fuzz/corpus/NAME/ its seeds, fuzz/regress/NAME/ inputs that once failed.
# The lib objects go into an archive, so a target links only what it uses.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -MMD -MP -pthread \
	-g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_NAMES:%=obj/fuzz/fuzz_%)
FUZZ_LIBOBJS := $(patsubst %.c,obj/fuzz/%.o,$(wildcard lib/*.c))

obj/fuzz/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

obj/fuzz/libsockbox.a: $(FUZZ_LIBOBJS)
	rm -f $@
	ar rcs $@ $(FUZZ_LIBOBJS)

obj/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h obj/fuzz/libsockbox.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		obj/fuzz/libsockbox.a

fuzz-build: $(FUZZ_BINS)

# make fuzz [FUZZ_SECONDS=N] [FUZZ_NAMES="port json"]: N seconds each.
fuzz: $(FUZZ_BINS)
	fuzz/run fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

# make fuzz-replay: every seed and regression input once, no fuzzing.
fuzz-replay: $(FUZZ_BINS)
	fuzz/run replay 0 $(FUZZ_NAMES)

# make bench [WORKLOAD=NAME]: the benchmark suite (tests/bench/run); the
# static musl binary is built first when musl-gcc is there, and measured too.
bench: $(BIN)
	@if command -v $(MUSL_CC) >/dev/null 2>&1; then $(MAKE) static; fi
	SOCKBOX=$(abspath $(BIN)) SOCKBOX_STATIC=$(abspath sockbox-static) \
		tests/bench/run $(WORKLOAD)

# make soak [SOAK_SECONDS=N] [SANITIZE=1]: every server mode at once under
# load and faults (tests/soak/soak.py); prints the servers' RSS, descriptors
# and CPU over time, and fails if a checked stream broke or anything grew.
SOAK_SECONDS ?= 600
soak: $(BIN)
	@tmp=$$(mktemp -d) && SOAK_TMP=$$tmp $(if $(filter 1,$(SANITIZE)),SOAK_SANITIZED=1) \
		python3 tests/soak/soak.py \
		$(abspath $(BIN)) $(SOAK_SECONDS); rc=$$?; rm -rf "$$tmp"; \
		exit $$rc

install: $(BIN)
	mkdir -p $(DESTDIR)$(BINDIR)
	cp $(BIN) $(DESTDIR)$(BINDIR)/sockbox.new
	mv -f $(DESTDIR)$(BINDIR)/sockbox.new $(DESTDIR)$(BINDIR)/sockbox
	for a in $(APPLETS); do ln -sf sockbox $(DESTDIR)$(BINDIR)/$$a; done
	mkdir -p $(DESTDIR)$(MANDIR)/man1
	for a in sockbox $(APPLETS); do \
		cp doc/$$a.1 $(DESTDIR)$(MANDIR)/man1/$$a.1 || exit 1; done
	mkdir -p $(DESTDIR)$(BASHCOMPDIR)
	cp doc/sockbox.bash $(DESTDIR)$(BASHCOMPDIR)/sockbox
	for a in $(APPLETS); do ln -sf sockbox $(DESTDIR)$(BASHCOMPDIR)/$$a; done

uninstall:
	for a in sockbox $(APPLETS); do rm -f $(DESTDIR)$(BINDIR)/$$a \
		$(DESTDIR)$(MANDIR)/man1/$$a.1 $(DESTDIR)$(BASHCOMPDIR)/$$a; done

clean:
	rm -rf obj sockbox sockbox-static

-include $(OBJS:.o=.d) $(FUZZ_LIBOBJS:.o=.d) $(FUZZ_BINS:=.d)
