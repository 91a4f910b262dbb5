"""The command line's fixed words: exit codes, limits, the help texts shared by commands,
and the one table that turns a library message into the command line's flags."""

from __future__ import annotations

import re

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 64, 130
#: ``rds-jobs emulator``'s default quota, calls a minute: the real API allows 60; this lets
#: the printed sync finish in seconds while a client that ignores pacing still meets 429s.
EMULATOR_QUOTA = 6000
#: At most this many per-ID failure lines; the rest are counted (every row is in the output).
MAX_FAILURE_LINES = 20
#: What a token that cannot be a job ID is told (its ``fetch_status`` is ``not_found``:
#: what the API would answer, without spending the call).
NOT_A_JOB_ID = "not a job ID (a UUID, 8-4-4-4-12 hex digits, or 32 hex digits): not asked"

# -- the library's words for Python callers -> the command line's flags: the one place --
_CLI_WORDS: tuple[tuple[str, str], ...] = (
    (r"pass auth=\.\.\., or set ", "set "),
    (r"pass allow_http=True", "pass --allow-http"),
    (
        r"JobsClient needs region=\.\.\. or endpoint=\.\.\.",
        "give --region REGION or --endpoint URL",
    ),
    (r"pass PasswordAuth\(iam_endpoint=\.\.\.\)", "pass --iam-endpoint URL"),
    (r"^iam_endpoint must", "--iam-endpoint must"),
    (r"^endpoint must", "--endpoint must"),
    (r"^rate_limit must", "--rate-limit must"),
    (r"^max_workers must", "--workers must"),
    (r"^budget must", "--budget must"),
    (r"^horizon_days must", "--horizon-days must"),
    (r"^month must", "--month must"),
    (r"^unknown time zone tz=", "--tz: unknown time zone "),
    (r"^project_id is required.*", "--project-id (or HUAWEICLOUD_SDK_PROJECT_ID) is required"),
    (r"^sync window is empty: since (.*) >= until (.*)", r"--since \1 is not before --until \2"),
    (r"^output path must end in", "-o must end in"),
    (r"without start= and end=", "without --start and --end"),
    (r"^catalog= is for Iceberg tables", "--catalog is for --table iceberg"),
)


def cli_words(message: str) -> str:
    """A library message in the command line's words (flags, not keyword arguments).

    Examples
    --------
    >>> cli_words("refusing plain http to 'h': use https or pass allow_http=True")
    "refusing plain http to 'h': use https or pass --allow-http"
    >>> cli_words("JobsClient needs region=... or endpoint=...")
    'give --region REGION or --endpoint URL'
    """
    for pattern, words in _CLI_WORDS:
        message = re.sub(pattern, words, message)
    return message


# -- the parser --------------------------------------------------------------------------
_CREDENTIALS = (
    "Credentials come from the environment: HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, "
    "RDS_JOBS_TOKEN, or RDS_JOBS_USERNAME/RDS_JOBS_PASSWORD/RDS_JOBS_DOMAIN."
)
_EXIT_CODES = (
    "Exit codes: 0 success, 1 partial success, 2 failure, 64 usage error, 130 interrupted "
    "(Ctrl-C: what was archived is kept)."
)
_ID_FILE = (
    "ID files (--file, or stdin): one ID a line; blank lines and lines starting with # are "
    "skipped; a first line 'id' or 'job_id' is a header, and a CSV (comma or tab) with an "
    "id or job_id column is read from that column. Whitespace inside an ID is removed; a "
    "token that is not a UUID (8-4-4-4-12 hex digits) or 32 hex digits is reported as "
    "not_found without asking the API. A missing or non-UTF-8 file is a usage error (64). "
    "Without -o or --archive, the main columns are printed as a table."
)


_EMULATOR_FLEET_MARK = "# written by rds-jobs emulator --fleet: the emulator's demo estate\n"
