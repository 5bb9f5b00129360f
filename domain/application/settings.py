"""One settings object, read from LIANFANG_* environment variables; every entry has a default."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # domain/application/settings.py
DEMO_GEOGRAPHY = PROJECT_ROOT / "scenarios" / "demo-county.geojson"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIANFANG_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="where the embedded SQLite store and read models live")
    database_url: str | None = Field(None, description="postgresql://user:password@host:port/db selects PostgreSQL")
    redis_url: str | None = Field(None, description="redis://host:port/0 selects Redis Streams for live fan-out")
    redis_stream: str = Field("lianfang:deltas", description="the Redis Stream key; one per deployment sharing a Redis")
    geography: Path | None = Field(None, description="GeoJSON jurisdictions; default: the demo county")
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(1024 * 1024, description="larger request bodies get 413 before parsing")
    sealed_quiet_days: float = Field(7, description="days without a case before a sealed zone is due for downgrade")
    controlled_quiet_days: float = Field(3, description="days without a case before a controlled zone is due")
    due_soon_hours: float = Field(24, description="a task due within this many hours is yellow")
    silence_hours: float = Field(48, description="a task with no claim or progress for this long is yellow")
    batch_max: int = Field(512, description="most commands that share one commit")
    read_wait_seconds: float = Field(5.0, description="how long a query with min_position waits before 503")
    checkpoint_every: int = Field(2000, description="events between projection checkpoints (as-of speed)")
    live_queue: int = Field(1000, description="deltas a websocket client may fall behind before it is dropped")
    live_per_token: int = Field(32, description="live connections one token may hold at once (a wall of screens); "
                                "the one past it is refused with 429")
    live_frame_ms: float = Field(20, ge=0, le=1000, description="least time between two frames to one live client; "
                                 "what arrives meanwhile goes in the next frame (0: a frame per delta)")
    tile_url: str | None = Field(None, description="optional map tile URL template; none by default (offline)")
    base_layers: list[Path] = Field(default_factory=list, description="GeoJSON files (roads, rivers …) the map draws "
                                    "under everything, for a readable base without a tile server")
    demo_drill_speed: float = Field(240, gt=0, description="`serve --demo`: how many times faster than real time the "
                                    "bundled drill plays (240: an hour in 15 s)")
    demo_drill_port: int | None = Field(None, description="`serve --demo`: the exercise's port (default: port + 1)")
    log_level: str = "INFO"
    enrol_code_hours: float = Field(24, gt=0, description="how long a one-time enrolment code stays valid")
    device_token_days: float = Field(30, gt=0, description="how long a token given for an enrolment code lasts")
    cap_sender: str = Field("lianfang", pattern=r"^[^\s,<&]{1,200}$",
                            description="the <sender> of this deployment's CAP alerts; give each county its own "
                            "(e.g. cdc@county.example) so that two can import each other's alerts")

    @field_validator("max_body_bytes", "batch_max", "checkpoint_every", "live_queue", "live_per_token")
    @classmethod
    def positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @property
    def geography_file(self) -> Path:
        return self.geography or DEMO_GEOGRAPHY
