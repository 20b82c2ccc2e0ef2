"""The office server's configuration (`yizhan office --config FILE`)."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sync.checks import check_http_url, check_time_zone


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerSection(Section):
    host: str = "127.0.0.1"
    port: int = Field(8700, ge=1, le=65535)
    public_url: str = ""  # how residents' phones reach the public pages; default http://host:port
    workers: int = Field(1, ge=1, le=64)
    timezone: str = "Asia/Shanghai"  # how times are shown on the public pages
    # The console's halls page marks a hall silent for longer than this (minutes).
    silent_after_min: int = Field(10, ge=1, le=24 * 60)

    _known_zone = field_validator("timezone")(check_time_zone)
    _http = field_validator("public_url")(check_http_url)


class DatabaseSection(Section):
    # SQLAlchemy URL; empty means an SQLite file in the data directory.
    url: str = ""
    data_dir: Path | None = None
    pool_size: int = Field(10, ge=1, le=200)  # PostgreSQL connections per server process

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql+psycopg:", "postgresql:")):
            raise ValueError("must be sqlite:///FILE or postgresql+psycopg://USER@HOST/DB")
        return value


class RatingsSection(Section):
    """好差评 and the live ticket page."""

    follow_up_days: int = Field(7, ge=1, le=90)  # a 差评's follow-up is due this many days after it came in
    near_ahead: int = Field(3, ge=0, le=50)  # "快到您了" when no more than this many are ahead
    offline_after_s: float = Field(90.0, ge=20, le=3600)  # "大厅离线" when the hall was not in touch for this long
    phone_per_minute: int = Field(5, ge=1, le=100)  # phone ratings per minute from one address


class OfficeConfig(Section):
    server: ServerSection = ServerSection()
    database: DatabaseSection = DatabaseSection()
    ratings: RatingsSection = RatingsSection()

    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        data = self.database.data_dir or Path(platformdirs.user_data_dir("yizhan-office", appauthor=False))
        return f"sqlite:///{data / 'office.sqlite3'}"
