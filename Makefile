# XueJi 学籍 — `make run` starts the demo, `make test` runs the suite. See README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The project needs Python 3.11 (pyproject: >=3.11,<3.12); python3 is 3.11 on Debian 12.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The virtualenv lives outside the work tree (one per checkout), so that nothing vendored sits in the repository.
VENV ?= $(HOME)/.cache/xueji/venv-$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-12)
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app webapp:create_app
CELERY := $(VENV)/bin/celery -A webapp.worker
# The embedded default's environment: demo mode, plain-HTTP cookies, the SQLite file and broker under instance/.
RUN_ENV := XUEJI_DEMO=1 XUEJI_SECURE_COOKIES=0
PYTEST_ARGS ?=
# The demo's 5,000-row import file, for a newcomer to upload (学籍注册 → 学籍导入) and watch the job's progress bar.
DEMO_FILE := instance/演示导入5000行.xlsx
HOST ?= 127.0.0.1
PORT ?= 5000

# Stamp files: setup is redone only when pyproject.toml / package.json / package-lock.json change.
PY_STAMP := $(VENV)/.xueji-installed
NODE_STAMP := node_modules/.xueji-installed
# The draft editor's additions to bpmn-js (panel, translation, problem marks), bundled from webapp/assets/editor/.
EDITOR_JS := webapp/static/build/editor.js

.PHONY: help setup run demo-provinces test e2e lint typecheck check-migrations bench bench-scale bench-http bench-promotion bench-registration bench-import bench-smoke \
	bench-reports bench-prints

help:
	@echo "make run    安装依赖、载入演示数据并启动 http://$(HOST):$(PORT)（网页、后台任务 worker 与定时 beat）"
	@echo "make demo-provinces  两省独立部署演示（贵州 $(PORT)、北京 $(PORT)+1 端口，需要 RabbitMQ）"
	@echo "make test   运行测试（tests/ 与 bpmn_tests/；PYTEST_ARGS=... 传给 pytest）"
	@echo "make e2e    浏览器端到端测试（e2e/，需要 /usr/bin/chromium）"
	@echo "make lint   ruff check 与 ruff format --check"
	@echo "make typecheck  mypy 静态类型检查（models/、engine/、handlers/ 严格模式）"
	@echo "make bench  性能测量（bench/，打印数据，不做断言）"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e ".[dev]"
	touch $@

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci; else npm install; fi
	touch $@

$(EDITOR_JS): $(NODE_STAMP) $(wildcard webapp/assets/editor/*)
	node_modules/.bin/esbuild webapp/assets/editor/index.js --bundle --minify --format=iife --target=es2020 \
		--log-level=warning --outfile=$@

setup: $(PY_STAMP) $(NODE_STAMP) $(EDITOR_JS)

# The web application, one Celery worker and beat, together; Ctrl-C stops all three.
run: setup
	$(RUN_ENV) $(FLASK) xueji demo
	[ -f "$(DEMO_FILE)" ] || $(RUN_ENV) $(FLASK) xueji demo-import-file "$(DEMO_FILE)"
	trap 'kill $$worker $$beat 2>/dev/null; wait' EXIT; \
	$(RUN_ENV) $(CELERY) worker --pool solo --without-gossip --without-mingle --without-heartbeat --loglevel WARNING & worker=$$!; \
	$(RUN_ENV) $(CELERY) beat --loglevel WARNING & beat=$$!; \
	$(RUN_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

# Issue 15: two provinces deployed apart — 贵州 on PORT, 北京 on PORT+1, two databases (instance/provinces/, or
# XUEJI_DATABASE_URL_520000 / _110000), one RabbitMQ (XUEJI_FEDERATION_URL, default guest@127.0.0.1:5672), each
# with its relay and inbox loop; Ctrl-C stops all. docs/federation.md.
demo-provinces: setup
	$(PY) -m federation.demo --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

e2e: setup
	$(PY) -m pytest e2e $(PYTEST_ARGS)

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy --strict on models/, engine/ and handlers/ (settings: [tool.mypy] in pyproject.toml); one line per error,
# file:line:column: message [code].
typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

# Migrates the database named by XUEJI_DATABASE_URL to head and checks the models add nothing to it.
check-migrations: $(PY_STAMP)
	$(VENV)/bin/alembic upgrade head
	$(VENV)/bin/alembic check

bench: setup
	$(PY) bench/engine_cycle.py $(BENCH_ARGS)

# Issue 18: a province in SQL (5 M students, 1 M cases; BENCH_ARGS="--students 1000000 --cases 200000" for a smaller
# one), then the inbox, completions by 1, 2 and 4 workers and the case page; PostgreSQL only (BENCH_URL, wiped).
bench-scale: setup
	$(PY) bench/scale.py --url "$(BENCH_URL)" $(BENCH_ARGS)

# Every bench at tiny sizes (also part of `make test`); the PostgreSQL ones with XUEJI_TEST_DATABASE_URL=postgresql…
bench-smoke: setup
	$(PY) -m pytest -q tests/test_bench_smoke.py

# 升级 of 1,000,000 students on PostgreSQL (the database named by PROMOTION_BENCH_URL is wiped).
PROMOTION_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1/xueji_bench
bench-promotion: setup
	$(PY) bench/promotion.py --url $(PROMOTION_BENCH_URL)

# Issue 4: import (100,000 rows) and 查重 against 1 M / 10 M students; PostgreSQL only (BENCH_URL=postgresql+psycopg://…).
bench-registration: setup
	$(PY) bench/registration_bench.py --url "$(BENCH_URL)" $(BENCH_ARGS)

# Issue 18: reviewers over HTTP (gunicorn, Locust headless) at 50 and 200 users on province-scale data; PostgreSQL
# only (BENCH_URL=postgresql+psycopg://…, wiped). BENCH_ARGS="--students 500000 --instances 100000" for a smaller run.
bench-http: setup
	$(PY) bench/http_load.py --url "$(BENCH_URL)" $(BENCH_ARGS)

# Issue 13: the 100,000-row import through the job path (upload, check job, import job on a real worker), per stage.
bench-import: setup
	$(PY) bench/import_jobs.py --url "$(BENCH_URL)" $(BENCH_ARGS)

# Issue 14: the province statistics page on 5,000,000 students (PostgreSQL, BENCH_URL=postgresql+psycopg://…, wiped).
bench-reports: setup
	$(PY) bench/reports.py --url "$(BENCH_URL)" $(BENCH_ARGS)

# Issue 14: the roster PDF of a school of 3,000 students (SQLite file by default, or BENCH_URL).
bench-prints: setup
	$(PY) bench/prints.py $(if $(BENCH_URL),--url "$(BENCH_URL)") $(BENCH_ARGS)
