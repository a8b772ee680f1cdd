"""Declarative base, shared column types and naming conventions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, Integer, MetaData, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, mapped_column

from core import clock
from core.timeutil import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on PostgreSQL and on SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store times as aware UTC")
        return as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
str20 = Annotated[str, mapped_column(String(20))]
str40 = Annotated[str, mapped_column(String(40))]
str80 = Annotated[str, mapped_column(String(80))]
str200 = Annotated[str, mapped_column(String(200))]
e164 = Annotated[str, mapped_column(String(16))]
#: A caller or called party as Twilio names it: an E.164 number, but also ``sip:…@…``,
#: ``client:<identity>`` (identities of up to 256 characters) or a long foreign number.
#: Twilio sets no bound on a SIP URI, so neither do we (text; any index stays usable).
caller_id = Annotated[str, mapped_column(Text)]
utc_time = Annotated[datetime, mapped_column(UTCDateTime())]
#: When a row was made, on the service's clock (``core.clock``): the real time in service,
#: the simulation's virtual time in ``sampark simulate``, the demo's shifted clinic time,
#: so a row's age compares with the workflow's own timestamps (e.g. call to doctor).
created_time = Annotated[datetime, mapped_column(UTCDateTime(), default=clock.now)]
json_list = Annotated[list[Any], mapped_column(JSON, default=list)]
json_dict = Annotated[dict[str, Any], mapped_column(JSON, default=dict)]


class Base(DeclarativeBase):
    """Base of every Sampark table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def db_enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column storing the members' values (a native type on PostgreSQL)."""
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], length=32)
