"""The store as a database: what the county receives, kept in one transactional store.

By default an embedded SQLite file, ``<store>/store.sqlite`` (write-ahead log, ``synchronous=FULL``);
the same code runs against PostgreSQL when ``[data] database`` in kpi.toml names a URL (SQLAlchemy Core).
The received files themselves are kept beside it, under ``<store>/received/``, named by their hash.

- **One change, one transaction.** A collection's values, their provenance, the corrections they make,
  the values it holds and the record of the files it received commit together or not at all.
- **Writers are serialised.** A writer takes the database's write lock (``BEGIN IMMEDIATE`` in SQLite, a
  transaction-scoped advisory lock in PostgreSQL); a second one says it is waiting, then proceeds, or
  after ``wait_seconds`` gives up with a clear error. Readers never wait: they see the last commit.
- **The CSVs a person reads are exports** (``progress.csv``, ``corrections.csv``, ``held.csv``,
  ``aliases.csv``, ``county_annual.csv``), rewritten atomically from one snapshot after each commit.
  Every file of the store folder is written under the writers' lock, so the next writer can remove what a
  killed one left half-written.
- **A store of CSV files** (the project's format before this module) is migrated once, in one
  transaction, and every value is checked to have arrived before anything else is written.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from kpi.core import atomic
from kpi.core.errors import InputError, RunError
from kpi.core.faults import fault_point
from kpi.metadata import fields

logger = logging.getLogger(__name__)  # what it says; the kpi command shows it (kpi.cli.common)

DATABASE_NAME = "store.sqlite"
#: table → its resource in the field table (columns, types, key, the CSV a person reads it as)
_TABLES = {
    "progress": "stored_progress",
    "corrections": "corrections",
    "held": "held",
    "aliases": "aliases",
    "county_annual": "county_annual",
    "received": "received",
}
#: table → (its columns, the columns that identify a row, the CSV it is exported to)
TABLES: dict[str, tuple[list[str], list[str] | None, str]] = {
    table: (fields.columns(resource), list(fields.RESOURCES[resource].key) or None, fields.RESOURCES[resource].export)
    for table, resource in _TABLES.items()
}
_SQL_TYPES = {"float": sa.Float, "int": sa.Integer, "bool": sa.Boolean}
#: the columns that are not text, per table (the held log keeps a value as the form wrote it: text)
_TYPES = {
    table: {
        name: _SQL_TYPES[spec.dtype]
        for name, spec in fields.RESOURCES[resource].field_map().items()
        if spec.dtype in _SQL_TYPES
    }
    for table, resource in _TABLES.items()
}
_FLOAT_FORMAT = {"progress": "%.10g"}
LOCK_KEY = 139_2023  # PostgreSQL's advisory lock for this project's writers


def _metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    for name, (columns, key, _) in TABLES.items():
        sa.Table(
            name,
            metadata,
            sa.Column("row_id", sa.Integer, primary_key=True, autoincrement=True),
            *[sa.Column(c, _TYPES.get(name, {}).get(c, sa.Text)) for c in columns],
            *([sa.UniqueConstraint(*key)] if key else []),
        )
    sa.Table("meta", metadata, sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text))
    return metadata


METADATA = _metadata()


class StoreLocked(RunError):
    """Another writer held the store longer than this one would wait."""


class Store:
    """The county's store: a database (SQLite file or a URL) and the folder of received files."""

    def __init__(self, folder: Path, url: str | None = None, wait_seconds: float = 600.0) -> None:
        self.folder = Path(folder)
        self.url = url or f"sqlite:///{self.folder / DATABASE_NAME}"
        self.wait_seconds = wait_seconds
        self._engines: dict[bool, sa.Engine] = {}

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is the embedded SQLite file (else a server named by kpi.toml)."""
        return self.url.startswith("sqlite")

    def engine(self, writing: bool = False) -> sa.Engine:
        """The engine for reading, or (``writing``) for writing. SQLite: WAL and FULL sync; a reader's
        transaction is deferred (it never waits: it sees the last commit), a writer's begins IMMEDIATE,
        taking the write lock, and a locked database answers at once, so that :meth:`writing` can say
        that it waits."""
        if not self.is_sqlite:  # one engine: PostgreSQL's writers serialise on an advisory lock
            if False not in self._engines:  # a Store lasts one command or one read: no pool, so no
                # connection is left open for the garbage collector to find (psycopg warns when it does)
                self._engines[False] = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            return self._engines[False]
        if writing in self._engines:
            return self._engines[writing]
        self.folder.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(self.url, connect_args={"timeout": 0.2}, poolclass=sa.pool.NullPool)

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # transactions are begun below, not by sqlite3
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        self._engines[writing] = engine
        return engine

    # ------------------------------------------------------------ writing
    def _begin_writing(self) -> tuple[sa.Connection, sa.RootTransaction] | None:
        """A connection in a write transaction holding the writers' lock, or None while another has it."""
        connection = self.engine(writing=True).connect()
        try:
            transaction = connection.begin()
            if self.is_sqlite:
                return connection, transaction
            if connection.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}).scalar():
                return connection, transaction
        except sa.exc.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                connection.close()
                raise
        connection.close()
        return None

    @contextlib.contextmanager
    def writing(self, what: str) -> Iterator[sa.Connection]:
        """One write transaction, the store's writers serialised: committed when the block ends,
        rolled back if it raises (or the process dies). A second writer says it is waiting, and gives up
        after ``wait_seconds`` with a clear error."""
        started, said = time.monotonic(), False
        while (begun := self._begin_writing()) is None:
            if time.monotonic() - started > self.wait_seconds:
                raise StoreLocked(
                    f"数据库正被另一个写入占用，已等待 {self.wait_seconds:.0f} 秒 / the store stayed locked",
                    file=self.folder / DATABASE_NAME if self.is_sqlite else self.url.split("@")[-1],
                    fix=f"等另一个 kpi collect / import-annex 结束后重新运行（{what}）",
                )
            if not said:
                logger.warning(f"另一个写入正在进行，等待… / another writer holds the store, waiting ({what})")
                said = True
            time.sleep(0.2)
        connection, transaction = begun
        try:
            self._sweep()
            self._ensure(connection)
            yield connection
            fault_point("before-commit")
            transaction.commit()
            fault_point("after-commit")
        except BaseException:
            transaction.rollback()
            raise
        finally:
            connection.close()

    def _sweep(self) -> None:
        """Temporary files a killed writer left in the store folder, removed: every file of the store is
        written under the writers' lock, so none of them is another's in flight."""
        atomic.sweep_temporary(self.folder)

    def _ensure(self, connection: sa.Connection) -> None:
        """The tables, and a CSV store migrated into them once (inside the caller's transaction)."""
        METADATA.create_all(connection)
        migrated = connection.execute(sa.text("SELECT value FROM meta WHERE key = 'migrated_from_csv'")).first()
        if migrated is None:
            _migrate(connection, self.folder)
            connection.execute(METADATA.tables["meta"].insert(), [{"key": "migrated_from_csv", "value": "done"}])

    # ------------------------------------------------------------ reading
    def frame(self, table: str, connection: sa.Connection | None = None) -> pd.DataFrame:
        """One table as the CSV a person reads would hold it (its columns, in the order written)."""
        columns = TABLES[table][0]
        if connection is None and not self.exists():
            if not any((self.folder / name).exists() for _, _, name in TABLES.values() if name):
                return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            with self.writing("migrate") as migrating:  # a store of CSV files: migrated once, under the lock
                return _read(migrating, table)
        if connection is not None:
            return _read(connection, table)
        with self.engine().connect() as reading:
            if not sa.inspect(reading).has_table(table):
                return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            return _read(reading, table)

    def exists(self) -> bool:
        """Whether there is a store to read (the SQLite file exists, or a server is named)."""
        return not self.is_sqlite or (self.folder / DATABASE_NAME).exists()

    def export(self, connection: sa.Connection | None = None) -> list[Path]:
        """The CSVs a person reads, each rewritten atomically from one snapshot: ``connection``'s, or, without
        one, a transaction of its own under the writers' lock (no two exports cross; leftovers swept).
        Text a spreadsheet would run as a formula is written as text (:func:`kpi.core.atomic.formula_safe`)."""
        if connection is None:
            if not self.exists():
                return []
            with self.writing("export") as locked:
                return self.export(locked)
        written = []
        for table, (_, _, name) in TABLES.items():
            if written:
                fault_point("export-partial")
            frame = self.frame(table, connection)
            if name and (not frame.empty or (self.folder / name).exists()):
                safe = atomic.formula_safe(frame)  # a file or sheet name may start with =, +, - or @
                written.append(atomic.write_csv(self.folder / name, safe, float_format=_FLOAT_FORMAT.get(table)))
        return written


def _read(connection: sa.Connection, table: str) -> pd.DataFrame:
    """One table in the order its rows were written, text columns as text ('' for none)."""
    columns = TABLES[table][0]
    target = METADATA.tables[table]
    rows = connection.execute(sa.select(*[target.c[c] for c in columns]).order_by(target.c.row_id)).fetchall()
    frame = pd.DataFrame(rows, columns=columns)
    for column in frame.columns:
        if column not in _TYPES.get(table, {}):
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def replace_rows(connection: sa.Connection, table: str, rows: pd.DataFrame) -> None:
    """Insert ``rows``, each replacing the row with its key (a table with a key) — one statement each."""
    columns, key, _ = TABLES[table]
    target = METADATA.tables[table]
    if rows.empty:
        return
    records = _records(rows[columns], table)
    if key:
        condition = sa.and_(*[target.c[k] == sa.bindparam(f"k_{k}") for k in key])
        connection.execute(target.delete().where(condition), [{f"k_{k}": r[k] for k in key} for r in records])
    connection.execute(target.insert(), records)


def replace_table(connection: sa.Connection, table: str, rows: pd.DataFrame) -> None:
    """The whole table replaced by ``rows`` (small tables: the held log)."""
    connection.execute(METADATA.tables[table].delete())
    if not rows.empty:
        connection.execute(METADATA.tables[table].insert(), _records(rows[TABLES[table][0]], table))


def _records(rows: pd.DataFrame, table: str) -> list[dict]:
    """Rows as database records: numbers as numbers, blanks as None where a number belongs."""
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    for record in records:
        for column, kind in _TYPES.get(table, {}).items():
            if column in record and record[column] is not None:
                value = record[column]
                if kind is sa.Boolean:
                    record[column] = str(value).strip().lower() in ("true", "1", "yes")
                elif kind is sa.Integer:
                    record[column] = int(float(value)) if str(value) != "" else None
                else:
                    record[column] = float(value) if str(value) != "" else None
    return records


def _migrate(connection: sa.Connection, folder: Path) -> None:
    """A store of CSV files, read once into the database; every row must arrive (counted back)."""
    for table, (columns, _, name) in TABLES.items():
        path = folder / name if name else None
        if path is None or not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        missing = set(columns) - set(frame.columns)
        if missing:
            raise InputError(
                f"旧的存储文件缺少列 {sorted(missing)} / an old store file lacks columns",
                file=path,
                fix="从备份恢复该文件，或把它移出存储文件夹后重新收集",
            )
        if len(frame):
            connection.execute(METADATA.tables[table].insert(), _records(frame[columns], table))
        if not _arrived(_read(connection, table), frame, table):
            raise RunError(f"迁移 {name} 时数据不符 / the migration did not bring every value", file=path)


def _arrived(arrived: pd.DataFrame, sent: pd.DataFrame, table: str) -> bool:
    """Whether every row and value of a migrated CSV is in the table: numbers equal as numbers, text
    equal as text (flags are rewritten as true/false and compared by their meaning)."""
    if len(arrived) != len(sent):
        return False
    for column in TABLES[table][0]:
        kind = _TYPES.get(table, {}).get(column)
        if kind is sa.Boolean:
            continue
        if kind is None:
            same = arrived[column].astype(str).tolist() == sent[column].astype(str).tolist()
        else:
            same = pd.to_numeric(arrived[column]).tolist() == pd.to_numeric(sent[column].replace("", None)).tolist()
        if not same:
            return False
    return True
