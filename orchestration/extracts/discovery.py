"""Find every file under the landing folder and say what the loader does with it.

The layout is ``<landing>/<system>/<drop_id>/<Object>.<csv|parquet>``. Every
file under the landing folder becomes a LandingFile: one the loader reads, or
one it refuses or ignores with a reason (``problem``), so that each gets a
ledger row and nothing is passed over in silence:

* ignored: a file outside a ``crm|erp/<drop_id>/`` folder (at the top, directly
  in a system folder, in a wrongly cased system folder such as ``ERP/``, in a
  folder nested in a drop), a hidden file or folder (its name starts with a
  dot; a hidden folder is one row, its contents are not listed), a copy still
  in progress or a lock file in a drop (``Account.csv.part``, ``.tmp``,
  ``.crdownload``, an Office ``~$Account.csv``: the finished file loads once
  it is in place);
* refused: a drop folder whose name is not a real date (``2026-02-30``) or
  lies after the day it is loaded, an unsupported file type, an unknown file
  name, two files of one object in one drop (both refused), and a symlink
  that leads outside the landing folder (nothing is read through it).

Names match case-insensitively and ignoring underscores and spaces
(``opportunity_history.csv`` is OpportunityHistory), like column names.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from orchestration.extracts.contract import OBJECTS, SYSTEMS, ExtractObject

SUPPORTED_FORMATS = {".csv": "csv", ".parquet": "parquet"}
DROP_ID_PATTERN = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T(\d{6}))?$")
# A drop id may carry the extract day of any time zone: it is refused only
# when it lies after today in the easternmost one (UTC+14).
EASTERNMOST_OFFSET = timedelta(hours=14)

LOADABLE, REFUSED, IGNORED = "load", "refused", "ignored"
COMPRESSED_SUFFIXES = (".gz", ".zip", ".bz2", ".xz", ".zst", ".7z")

# What copy tools and browsers name a file while they write it (WinSCP's
# .filepart, rsync/curl/wget .part and .tmp, Chrome's .crdownload, Safari's
# .download), and Office's lock file beside an open file (~$Account.csv).
UNFINISHED_SUFFIXES = (".part", ".partial", ".filepart", ".crdownload", ".download", ".tmp")
LOCK_FILE_PREFIX = "~$"
UNFINISHED_REASON = (
    "a copy still in progress or an editor's lock file (its name ends with .part, .tmp, "
    ".crdownload... or starts with ~$): not read; the finished file loads once it is in "
    "place, under the object's name"
)


def is_unfinished_copy(name: str) -> bool:
    """A copy tool's file in transit or an editor's lock file: never a delivery."""
    lower = name.lower()
    return lower.startswith(LOCK_FILE_PREFIX) or lower.endswith(UNFINISHED_SUFFIXES)


def delivery_candidates(landing_dir: Path) -> Iterator[Path]:
    """Every file under the landing folder that could be a delivery.

    Hidden files and folders (.DS_Store, .gitkeep, a share's .snapshot) and
    copies in transit are left out, as the loader never reads them; the
    sensor and the publish gate look at these files only.
    """
    if not landing_dir.is_dir():
        return
    for root, dirs, files in os.walk(landing_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and not is_unfinished_copy(name):
                yield Path(root) / name


def name_key(name: str) -> str:
    """A file or column name as compared: no case, underscores, spaces or BOM."""
    return re.sub(r"[\s_]", "", name.replace("\ufeff", "")).lower()


def find_object(system: str, file_stem: str) -> ExtractObject | None:
    """The contract object a file stem names (`Account`, `account`, `opportunity_history`)."""
    key = name_key(file_stem)
    for obj in OBJECTS:
        if obj.system == system and name_key(obj.name) == key:
            return obj
    return None


@dataclass(frozen=True)
class LandingFile:
    system: str
    drop_id: str
    path: Path
    relative_path: str
    extract_object: ExtractObject | None
    # what discovery decided: LOADABLE, REFUSED or IGNORED, and why (not LOADABLE)
    disposition: str = LOADABLE
    problem: str | None = None

    @property
    def object_name(self) -> str:
        return self.extract_object.name if self.extract_object else self.path.stem

    @property
    def file_format(self) -> str | None:
        return SUPPORTED_FORMATS.get(self.path.suffix.lower())


def drop_id_problem(drop_id: str, today: date | None = None) -> str | None:
    """Why a folder name is not an acceptable drop id, or None."""
    match = DROP_ID_PATTERN.match(drop_id)
    if not match:
        return (
            f"folder '{drop_id}' is not a drop id (expected YYYY-MM-DD or YYYY-MM-DDTHHMMSS, "
            "the extract moment): rename the folder"
        )
    day, time = match.groups()
    try:
        drop_day = datetime.strptime(day, "%Y-%m-%d").date()
        if time:
            datetime.strptime(time, "%H%M%S")
    except ValueError:
        return (
            f"drop id '{drop_id}' is not a real date or time: rename the folder to the "
            "extract moment (YYYY-MM-DD or YYYY-MM-DDTHHMMSS)"
        )
    latest = today or (datetime.now(UTC) + EASTERNMOST_OFFSET).date()
    if drop_day > latest:
        return (
            f"drop id '{drop_id}' lies after today ({latest:%Y-%m-%d}): a drop is named after "
            "its extract moment, and a future one would win over every later drop; rename the "
            "folder (it loads once that day has come)"
        )
    return None


def _relative(path: Path, landing_dir: Path) -> str:
    return path.relative_to(landing_dir).as_posix()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def _expected_names(system: str) -> str:
    return ", ".join(o.name for o in OBJECTS if o.system == system)


class _Finder:
    def __init__(self, landing_dir: Path, today: date | None) -> None:
        self.landing = landing_dir
        self.root = landing_dir.resolve()
        self.today = today
        self.found: list[LandingFile] = []

    def add(
        self,
        path: Path,
        disposition: str,
        problem: str | None,
        system: str = "",
        drop_id: str = "",
        obj: ExtractObject | None = None,
    ) -> None:
        relative = _relative(path, self.landing)
        if problem:
            problem = f"{relative}: {problem}"
        self.found.append(LandingFile(system, drop_id, path, relative, obj, disposition, problem))

    def entries(self, folder: Path, system: str = "", drop_id: str = "") -> list[Path]:
        """The entries of a folder under the landing folder, sorted.

        A folder that cannot be listed (no read permission for the user that
        runs the refresh, or removed while the run lists it) is one refused
        row, and the rest of the landing folder loads.
        """
        try:
            return sorted(folder.iterdir())
        except OSError as error:
            self.add(
                folder,
                REFUSED,
                f"cannot list the folder ({error.strerror or error}): none of its files is "
                "read; give the user that runs the refresh read access to it (it loads on "
                "the next run)",
                system,
                drop_id,
            )
            return []

    def ignore_tree(self, folder: Path, reason: str, system: str = "", drop_id: str = "") -> None:
        """Every file under `folder` (hidden entries and symlinks: one row, not followed)."""
        for entry in self.entries(folder, system, drop_id):
            if entry.name.startswith(".") or entry.is_symlink():
                self.add(entry, IGNORED, reason, system, drop_id)
            elif entry.is_dir():
                self.ignore_tree(entry, reason, system, drop_id)
            else:
                self.add(entry, IGNORED, reason, system, drop_id)

    def walk(self) -> list[LandingFile]:
        if not self.landing.is_dir():
            return []
        for entry in sorted(self.landing.iterdir()):
            if entry.name.startswith("."):
                self.add(entry, IGNORED, "hidden file or folder (its name starts with a dot)")
            elif entry.name in SYSTEMS and entry.is_dir():
                if entry.is_symlink() and not _inside(entry, self.root):
                    self.add(
                        entry,
                        REFUSED,
                        "system folder is a symlink to outside the landing folder: not read",
                        entry.name,
                    )
                else:
                    self.system(entry)
            elif entry.is_dir() and not entry.is_symlink():
                hint = (
                    f"system folder '{entry.name}' must be written '{entry.name.lower()}' "
                    "(lower case): rename the folder"
                    if entry.name.lower() in SYSTEMS
                    else f"folder '{entry.name}' is not a system folder (expected crm/ or erp/)"
                )
                self.ignore_tree(entry, hint, entry.name)
            else:
                self.add(
                    entry,
                    IGNORED,
                    "not in a <system>/<drop_id>/ folder (expected crm/<drop_id>/ or "
                    "erp/<drop_id>/): move it into a drop folder",
                )
        return self.found

    def system(self, system_dir: Path) -> None:
        system = system_dir.name
        for entry in self.entries(system_dir, system):
            if entry.name.startswith("."):
                self.add(
                    entry, IGNORED, "hidden file or folder (its name starts with a dot)", system
                )
            elif entry.is_dir():
                if entry.is_symlink() and not _inside(entry, self.root):
                    self.add(
                        entry,
                        REFUSED,
                        "drop folder is a symlink to outside the landing folder: not read "
                        "(copy the files into the landing folder instead)",
                        system,
                        entry.name,
                    )
                else:
                    self.drop(system, entry)
            else:
                self.add(
                    entry,
                    IGNORED,
                    f"not in a drop folder: move it into {system}/<drop_id>/ (the extract "
                    "moment, YYYY-MM-DD)",
                    system,
                )

    def drop(self, system: str, drop_dir: Path) -> None:
        drop_id = drop_dir.name
        drop_problem = drop_id_problem(drop_id, self.today)
        files: list[LandingFile] = []
        for entry in self.entries(drop_dir, system, drop_id):
            if entry.name.startswith("."):
                self.add(
                    entry,
                    IGNORED,
                    "hidden file or folder (its name starts with a dot)",
                    system,
                    drop_id,
                )
                continue
            if not entry.is_dir() and is_unfinished_copy(entry.name):
                self.add(entry, IGNORED, UNFINISHED_REASON, system, drop_id)
                continue
            if entry.is_dir():
                if entry.is_symlink():
                    self.add(
                        entry, IGNORED, "symlinked folder in a drop: not followed", system, drop_id
                    )
                else:
                    self.ignore_tree(
                        entry,
                        "in a folder nested inside a drop: files must sit directly in "
                        f"{system}/{drop_id}/",
                        system,
                        drop_id,
                    )
                continue
            relative = _relative(entry, self.landing)
            obj = find_object(system, entry.stem)
            if entry.is_symlink() and not _inside(entry, self.root):
                problem = "symlink to a file outside the landing folder: not read (copy the file)"
            elif drop_problem:
                problem = drop_problem
            elif entry.suffix.lower() in COMPRESSED_SUFFIXES:
                problem = (
                    f"a compressed file ('{entry.suffix}') is not read: unpack it into "
                    f"{system}/{drop_id}/ (as {entry.stem if Path(entry.stem).suffix else entry.stem + '.csv'}) "
                    "and remove the archive"
                )
            elif entry.suffix.lower() not in SUPPORTED_FORMATS:
                problem = f"unsupported file type '{entry.suffix}' (expected .csv or .parquet)"
                if entry.suffix.lower() in (".txt", ".tsv", ".tab"):
                    problem += (
                        ": a delimited text file (Excel's Unicode Text is UTF-16, "
                        "tab-separated) loads once renamed to .csv"
                    )
                elif entry.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".xlsb", ".ods"):
                    problem += (
                        ": save the sheet as CSV (CSV UTF-8, or Unicode Text renamed to .csv)"
                    )
            elif obj is None:
                problem = unknown_name_message(system, drop_id, entry)
            else:
                problem = None
            files.append(
                LandingFile(
                    system,
                    drop_id,
                    entry,
                    relative,
                    obj,
                    REFUSED if problem else LOADABLE,
                    f"{relative}: {problem}" if problem else None,
                )
            )
        self.found += _refuse_repeated_objects(files)


def unknown_name_message(system: str, drop_id: str, path: Path) -> str:
    guess = _object_of_header(system, path)
    example = guess.name if guess else ("Opportunity" if system == "crm" else "invoices")
    looks = f"; its header has the columns of {guess.name}" if guess else ""
    return (
        f"unknown file name '{path.stem}' for {system}{looks}: a file is named after the "
        f"object it holds, one of {_expected_names(system)} (.csv or .parquet; case and "
        f"underscores do not matter). Rename it, e.g. to {system}/{drop_id}/{example}"
        f"{path.suffix or '.csv'} (Data Loader and report exports are called extract.csv "
        "or report*.csv by default)"
    )


def _object_of_header(system: str, path: Path) -> ExtractObject | None:
    """The one object of `system` whose required columns a CSV's header row holds, if any."""
    if path.suffix.lower() != ".csv" or path.is_symlink():
        return None
    try:
        with path.open("rb") as handle:
            first_line = handle.read(1 << 14).decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if not first_line:
        return None
    keys = {name_key(part.strip().strip('"')) for part in re.split(r"[,;\t|]", first_line[0])}
    fits = [
        obj
        for obj in OBJECTS
        if obj.system == system and all(name_key(n) in keys for n in obj.required_columns)
    ]
    # the most specific object, when one's required columns include another's
    fits.sort(key=lambda obj: -len(obj.required_columns))
    return fits[0] if fits else None


def _refuse_repeated_objects(files: list[LandingFile]) -> list[LandingFile]:
    """Two files of one object in one drop: both are refused, nothing is guessed."""
    by_object: dict[str, list[LandingFile]] = defaultdict(list)
    for landing_file in files:
        if landing_file.extract_object and landing_file.disposition == LOADABLE:
            by_object[landing_file.extract_object.name].append(landing_file)
    out = []
    for landing_file in files:
        same = by_object.get(landing_file.object_name, []) if landing_file.extract_object else []
        if len(same) > 1 and landing_file in same:
            names = " and ".join(f.path.name for f in same)
            landing_file = LandingFile(
                landing_file.system,
                landing_file.drop_id,
                landing_file.path,
                landing_file.relative_path,
                landing_file.extract_object,
                REFUSED,
                f"{landing_file.relative_path}: {names} are both {landing_file.system}/"
                f"{landing_file.object_name} in drop {landing_file.drop_id}: both refused, "
                "nothing is guessed; keep one file per object in a drop",
            )
        out.append(landing_file)
    return out


def discover_landing_files(landing_dir: Path, today: date | None = None) -> list[LandingFile]:
    """Every file under the landing folder, in drop order (text order = time order).

    Loadable files and the ones the loader refuses or ignores alike: each
    gets a ledger row. `today` (for tests) is the day drops are judged against.
    """
    found = _Finder(Path(landing_dir), today).walk()
    found.sort(key=lambda f: (f.drop_id, f.system, f.object_name.lower(), f.relative_path))
    return found
