# migrated: one non-recursive GNU Makefile.
#
#   make deps            install the Debian packages the project needs
#   make                 build/migrated, build/migratectl
#   make check           unit suites and integration tests
#   make check SANITIZE=1   the same under ASan + UBSan (in build/san/)
#   make bench           benchmarks, one "BENCH name value unit" line each
#   make demo            the rehearsal: a whole migration on this machine
#   make install         PREFIX (/usr/local) and DESTDIR honoured

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions

VERSION	:= 0.1.0

DEB_PACKAGES := build-essential pkg-config libevent-dev libjansson-dev \
	libsqlite3-dev libssl-dev libcurl4-openssl-dev libmariadb-dev \
	libinih-dev libsystemd-dev check libsubunit-dev mandoc sqlite3 \
	mydumper sysbench percona-toolkit \
	mariadb-server mariadb-client libxml2-dev procps openssl awscli \
	prometheus zsh

ifeq ($(SANITIZE),1)
B	:= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
B	:= build
SANFLAGS :=
endif

PKGS	:= libevent jansson sqlite3 inih libsystemd libmariadb libcurl libcrypto libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# migratectl starts fast: it links only what it uses.
CTL_LIBS := $(shell pkg-config --libs libevent_core jansson 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

WARN	:= -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
ifeq ($(CI),true)
WARN	+= -Werror
endif

CFLAGS	?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE \
	-DMIGRATED_VERSION='"$(VERSION)"' -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

LIB_SRCS	:= $(wildcard lib/*.c)
PROTO_SRCS	:= $(filter-out proto/migratectl.c,$(wildcard proto/*.c))
STATE_SRCS	:= $(wildcard state/*.c)
DAEMON_SRCS	:= $(wildcard daemon/*.c)
CTL_SRCS	:= proto/migratectl.c
UNIT_SRCS	:= $(wildcard tests/unit/check_*.c)
BENCH_SRCS	:= $(wildcard tests/bench/*.c)

CORE_OBJS	:= $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRCS) $(PROTO_SRCS) $(STATE_SRCS))
DAEMON_OBJS	:= $(patsubst %.c,$(B)/obj/%.o,$(DAEMON_SRCS))
CTL_OBJS	:= $(patsubst %.c,$(B)/obj/%.o,$(CTL_SRCS))
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
BENCH_BINS	:= $(patsubst tests/bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
# Daemon objects except main(), for unit suites that test daemon modules.
DAEMON_LIB_OBJS	:= $(filter-out $(B)/obj/daemon/migrated.o,$(DAEMON_OBJS))

MANPAGES	:= daemon/migrated.8 proto/migratectl.8 state/migrated.conf.5

.PHONY: all check unit integration fakes bench demo install deps clean lint-man \
	lint
all: $(B)/migrated $(B)/migratectl

# The layering, lib/ <- proto/ <- state/ <- daemon/, is enforced here: a
# file sees the headers of its own layer and of the layers below it, so an
# include across the line does not compile. proto/ needs lib/ (log.h) and
# nothing else; state/ needs lib/ (conf.h, log.h) and not proto/.
INC_lib		:= -Ilib
INC_proto	:= -Iproto -Ilib
INC_state	:= -Istate -Ilib
INC_daemon	:= -Idaemon -Istate -Iproto -Ilib
# A unit suite sees the layer it tests (lib/ unless listed here); the
# fixtures and benchmarks see lib/ only.
SUITE_LAYER_check_proto		:= proto
SUITE_LAYER_check_fsm		:= state
SUITE_LAYER_check_gate		:= state
SUITE_LAYER_check_phase		:= state
SUITE_LAYER_check_plan		:= state
SUITE_LAYER_check_store		:= state
SUITE_LAYER_check_window	:= state
SUITE_LAYER_check_config	:= daemon
SUITE_LAYER_check_proc		:= daemon
SUITE_LAYER_check_proof		:= daemon
SUITE_LAYER_check_job		:= daemon
SUITE_LAYER_check_estimate	:= daemon
SUITE_LAYER_check_files		:= daemon
SUITE_LAYER_check_writer	:= daemon
SUITE_LAYER_check_copy		:= daemon
SUITE_LAYER_check_catchup	:= daemon
layer_inc = $(INC_$(or $(SUITE_LAYER_$(notdir $(basename $(1)))),lib))

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC_$(firstword $(subst /, ,$<))) $(PKG_CFLAGS) \
	    -c -o $@ $<

$(B)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(call layer_inc,$<) $(PKG_CFLAGS) $(CHECK_CFLAGS) \
	    -c -o $@ $<

$(B)/libmig.a: $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/libmigd.a: $(DAEMON_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/migrated: $(B)/obj/daemon/migrated.o $(B)/libmigd.a $(B)/libmig.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(B)/migratectl: $(CTL_OBJS) $(B)/libmig.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CTL_LIBS)

# The real servers some suites need (MariaDB, moto, moto behind fakeaws.py,
# fakedo.py, all started through spawn), the canned HTTP peer on the test's
# own loop (answer), the AWS client suites' common setup (awstest) and
# suites declared as tables of test cases (suite).
TEST_FIXTURES	:= $(B)/obj/tests/unit/mdbpair.o $(B)/obj/tests/unit/moto.o \
    $(B)/obj/tests/unit/answer.o $(B)/obj/tests/unit/awstest.o \
    $(B)/obj/tests/unit/spawn.o $(B)/obj/tests/unit/suite.o \
    $(B)/obj/tests/unit/fakeaws.o $(B)/obj/tests/unit/fakedo.o
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(TEST_FIXTURES) \
    $(B)/libmigd.a $(B)/libmig.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS) -lm

$(B)/bench/%: $(B)/obj/tests/bench/%.o $(B)/libmig.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# Unit suites, then integration tests driving the real binaries, then the
# AWS test endpoint judged by the aws CLI, then the man pages and the
# code's shape.
check: unit integration fakes lint-man lint

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do \
		CK_DEFAULT_TIMEOUT=60 TESTDATA=tests/data $$t || fail=1; \
	done; exit $$fail

integration: all $(B)/bench/writer
	@MIGRATED_BIN=$(B) SANITIZED=$(SANITIZE) bash tests/integration/run.sh

fakes:
	@bash tests/fakes/test_fakeaws.sh
	@bash tests/fakes/test_fakedo.sh

lint-man:
	@for m in $(MANPAGES); do mandoc -Tlint -W warning $$m || exit 1; done
	@echo "man pages: 3 passed, 0 failed"

# The shape of the code, without building it. The -I flags above keep each
# layer from seeing the headers above it; a path ("../daemon/x.h") would
# walk around them, so none is allowed. No include circle among daemon/
# modules (a module is x.c with x.h): --max 1, so the first circle fails.
# No function in daemon/, state/ or proto/ is over 100 lines. Every
# header compiles on its own, with its layer's -I flags.
lint:
	@if grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' \
	    lib/*.[ch] proto/*.[ch] state/*.[ch] daemon/*.[ch]; then \
		echo "lint: an include by path walks around the layering"; \
		exit 1; \
	fi
	@python3 tests/lint/includes.py --max 1 daemon
	@python3 tests/lint/funclen.py --top 5 --max 100 daemon state proto
	@$(foreach d,lib proto state daemon,for h in $(d)/*.h; do \
		echo "#include \"$${h#$(d)/}\"" | $(CC) -std=gnu11 \
		    -fsyntax-only -D_GNU_SOURCE $(INC_$(d)) $(PKG_CFLAGS) \
		    -x c - || { echo "lint: $$h does not compile on its own"; \
		    exit 1; }; done &&) echo "headers: each compiles on its own"

bench: all $(BENCH_BINS)
	@MIGRATED_BIN=$(B) bash tests/bench/run.sh

# The rehearsal: a whole migration on this machine, from create to done,
# against local MariaDB servers and the AWS and DigitalOcean test
# endpoints. Installs what it needs first.
demo: deps
	@$(MAKE) --no-print-directory all $(B)/bench/writer
	@MIGRATED_BIN=$(B) bash tests/integration/demo.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/migrated/plans \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 755 $(B)/migrated $(DESTDIR)$(SBINDIR)/migrated
	install -m 755 $(B)/migratectl $(DESTDIR)$(BINDIR)/migratectl
	install -m 644 daemon/migrated.8 proto/migratectl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 state/migrated.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 proto/migratectl.bash $(DESTDIR)$(BASHCOMPDIR)/migratectl
	install -m 644 proto/_migratectl $(DESTDIR)$(ZSHCOMPDIR)/_migratectl
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/migrated.service > \
		$(DESTDIR)$(UNITDIR)/migrated.service
	chmod 644 $(DESTDIR)$(UNITDIR)/migrated.service
	install -m 644 conf/migrated.conf $(DESTDIR)$(SYSCONFDIR)/migrated/migrated.conf.example
	install -m 644 conf/plans/example.ini $(DESTDIR)$(SYSCONFDIR)/migrated/plans/example.ini.example

# Idempotent: installs only what is missing, so it is a no-op (and needs no
# root) on a machine that has everything.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
		    --no-install-recommends $$missing; \
	else echo "deps: all installed"; fi

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
