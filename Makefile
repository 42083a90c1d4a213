# mitsu: a C web framework with a high-interaction honeypot built in.
# Plain make. Everything lands in build/. See README.md for the targets.

CC       ?= cc
NPROC    := $(shell nproc 2>/dev/null || echo 2)
CLANG    ?= clang
BUILD    ?= build
CSTD     := -std=c17 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
OPT      ?= -O2 -g
# Libraries from Debian, found with pkg-config (scripts/deps.sh installs them).
PKGS     := libcrypto inih jansson sqlite3 libpq libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   += $(CSTD) $(WARN) $(OPT) -fPIC -pthread -Iinclude -Isrc $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lm -pthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LAYERS   := base http web db honeypot journal admin mitsu
LIB_SRC  := $(sort $(wildcard $(LAYERS:%=src/%/*.c)))
# Data compiled into the library (an installed application needs no data files).
GEN_SRC  := $(if $(wildcard data/signatures.rules),$(BUILD)/gen/signatures_rules.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(GEN_SRC:$(BUILD)/%.c=$(BUILD)/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/%.o) $(GEN_SRC:$(BUILD)/%.c=$(BUILD)/asan/%.o)
EXAMPLES := $(patsubst examples/%/,%,$(sort $(dir $(wildcard examples/*/*.c))))
EX_BIN   := $(EXAMPLES:%=$(BUILD)/examples/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_ASAN:= $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests-asan/%)
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

CRITERION_LIBS = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

.PHONY: all lib examples tools bench-apps tests deps deps-test run test test-unit test-asan test-integration \
        fuzz fuzz-build bench eval clean
.DEFAULT_GOAL := all

all: lib examples tools

TOOL_SRC := $(sort $(wildcard tools/*.c))
tools: $(if $(TOOL_SRC),$(BUILD)/mitsu)
$(BUILD)/mitsu: $(TOOL_SRC) $(wildcard tools/*.h) $(BUILD)/libmitsu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itools -o $@ $(TOOL_SRC) $(BUILD)/libmitsu.a $(LDLIBS)
# The same under ASan+UBSan, for tests/integration/test_cli.py.
$(BUILD)/tests/mitsu-tool-asan: $(TOOL_SRC) $(wildcard tools/*.h) $(BUILD)/libmitsu-asan.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -O1 -Itools -o $@ $(TOOL_SRC) $(BUILD)/libmitsu-asan.a $(LDLIBS)

lib: $(BUILD)/libmitsu.a $(BUILD)/libmitsu.so
examples: $(EX_BIN)

deps:
	@scripts/deps.sh build
deps-test:
	@scripts/deps.sh test

$(BUILD)/gen/signatures_rules.c: data/signatures.rules scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh $< $@ mitsu_signature_rules

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -O1 -c $< -o $@

$(BUILD)/fuzzobj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -O1 -MMD -MP -c $< -o $@

$(BUILD)/libmitsu.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libmitsu-asan.a: $(ASAN_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libmitsu.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

$(BUILD)/examples/%: examples/%/*.c $(BUILD)/libmitsu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.c,$^) $(BUILD)/libmitsu.a $(LDLIBS)

BENCH_APPS := $(patsubst bench/apps/%.c,$(BUILD)/bench/%,$(wildcard bench/apps/*.c)) \
              $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
bench-apps: $(BENCH_APPS)
$(BUILD)/bench/%: bench/apps/%.c $(BUILD)/libmitsu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libmitsu.a $(LDLIBS)
$(BUILD)/bench/%: bench/%.c $(BUILD)/libmitsu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libmitsu.a $(LDLIBS)

# Unit tests may #include the .c they specify, to reach static functions.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmitsu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< $(BUILD)/libmitsu.a $(CRITERION_LIBS) $(LDLIBS)

$(BUILD)/tests-asan/%: tests/unit/%.c $(BUILD)/libmitsu-asan.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -O1 -Wno-missing-prototypes -o $@ $< $(BUILD)/libmitsu-asan.a $(CRITERION_LIBS) $(LDLIBS)

# Applications the integration tests start: tests/integration/NAME.c, plain and sanitized.
TEST_APPS := $(patsubst tests/integration/%.c,%,$(wildcard tests/integration/*.c))
$(BUILD)/tests/%: tests/integration/%.c $(BUILD)/libmitsu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libmitsu.a $(LDLIBS)

$(BUILD)/tests/%-asan: tests/integration/%.c $(BUILD)/libmitsu-asan.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -O1 -o $@ $< $(BUILD)/libmitsu-asan.a $(LDLIBS)

tests: $(UNIT_BIN) $(UNIT_ASAN) $(TEST_APPS:%=$(BUILD)/tests/%) $(TEST_APPS:%=$(BUILD)/tests/%-asan) \
       $(if $(TOOL_SRC),$(BUILD)/tests/mitsu-tool-asan)

# libFuzzer targets: clang only. The library is compiled once with coverage instrumentation
# (fuzzer-no-link) and each target links against it.
FUZZ_FLAGS := $(CSTD) -g -O1 -Iinclude -Isrc $(PKG_CFLAGS) -pthread -fsanitize=address,undefined
FUZZ_OBJ   := $(LIB_SRC:%.c=$(BUILD)/fuzzobj/%.o) $(GEN_SRC:$(BUILD)/%.c=$(BUILD)/fuzzobj/%.o)
$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(BUILD)/libmitsu-fuzz.a: $(FUZZ_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/fuzz/%: fuzz/%.c $(BUILD)/libmitsu-fuzz.a
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libmitsu-fuzz.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# make fuzz FUZZ_SECONDS=600 runs every target that long.
FUZZ_SECONDS ?= 60
fuzz: deps-fuzz fuzz-build
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

deps-fuzz:
	@scripts/deps.sh fuzz

# Set-up first, then a sub-make: pkg-config must see the packages deps just installed.
run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

test: deps-test
	@$(MAKE) --no-print-directory -j$(NPROC) all tests fuzz-build
	@scripts/test.sh

# The end-to-end evaluation with real attack tools (docs/evaluation.md); EVAL_ARGS=--json ...
eval:
	@scripts/deps.sh eval
	@$(MAKE) --no-print-directory all
	@scripts/eval.py $(EVAL_ARGS)

bench: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all bench-apps
	@bench/all.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
