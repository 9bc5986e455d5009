"""JSON API of the register of units and people: create, change, retire, merge; read people (phones only for
those who may see contacts). ``GET /units`` (the picker, with holdings) lives in :mod:`~.assignments` and
``GET /units/<id>`` (a unit's overview) in :mod:`~.maps`; both read the same register."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gridmap.accounts import roles
from gridmap.units import register
from gridmap.web.api.openapi import body_of, operation, query_of
from gridmap.web.api.schemas.units import (
    MergeAnswer,
    MergeIn,
    PeopleList,
    PeopleQuery,
    Person,
    PersonIn,
    PersonRetireIn,
    RetireIn,
    Unit,
    UnitIn,
)
from gridmap.web.auth import allow, current_actor, signed_in
from gridmap.web.session import db_session, writing

bp = Blueprint("units_api", __name__)

WRITE_ERRORS = (400, 413)


def _lang() -> str:
    return str(g.get("lang", "zh_CN"))


@bp.post("/units")
@allow(*roles.EDITS_UNITS)
@operation("createUnit", tags=("units",), json=UnitIn, ok={201: (Unit, "created")}, errors=WRITE_ERRORS)
def create_unit():
    """Create a unit (name and kind required)"""
    actor = current_actor()
    with writing() as session:
        unit = register.create_unit(session, body_of(UnitIn).sent(), actor)
        answer = register.unit_dict(unit, actor, _lang())
    return jsonify(answer), 201


@bp.patch("/units/<int:unit_id>")
@allow(*roles.EDITS_UNITS)
@operation("editUnit", tags=("units",), json=UnitIn, ok={200: (Unit, "changed")}, errors=(*WRITE_ERRORS, 404))
def edit_unit(unit_id: int):
    """Change a unit (only the fields sent)"""
    actor = current_actor()
    with writing() as session:
        unit = register.edit_unit(session, unit_id, body_of(UnitIn).sent(), actor)
        answer = register.unit_dict(unit, actor, _lang())
    return jsonify(answer)


@bp.post("/units/<int:unit_id>/retire")
@allow(*roles.EDITS_UNITS)
@operation("retireUnit", tags=("units",), json=RetireIn, body_optional=True, ok={200: (Unit, "retired")},
           errors=(*WRITE_ERRORS, 404, 409))  # fmt: skip
def retire_unit(unit_id: int):
    """Retire a unit: it keeps its history and takes no new assignment (409 while it still holds features)"""
    body = body_of(RetireIn)
    actor = current_actor()
    with writing() as session:
        unit = register.retire_unit(session, unit_id, actor, on=body.on, note=body.note)
        answer = register.unit_dict(unit, actor, _lang())
    return jsonify(answer)


@bp.post("/units/<int:unit_id>/merge")
@allow(*roles.EDITS_UNITS)
@operation("mergeUnit", tags=("units",), json=MergeIn, ok={200: MergeAnswer}, errors=(*WRITE_ERRORS, 404, 409))
def merge_unit(unit_id: int):
    """Merge a unit into its successor: its assignments and people move, its history stays, it is retired"""
    body = body_of(MergeIn)
    with writing() as session:
        answer = register.merge_unit(session, unit_id, body.into, current_actor(), on=body.on, note=body.note)
    return jsonify(answer)


@bp.get("/people")
@signed_in
@operation("listPeople", tags=("units",), query=PeopleQuery, ok={200: PeopleList}, errors=(400,))
def list_people():
    """People of the units (a unit clerk: their own unit's), a page at a time"""
    filters = query_of(PeopleQuery).model_dump(exclude_none=True)
    return jsonify(register.list_people(db_session(), filters, current_actor()))


@bp.post("/people")
@allow(*roles.EDITS_UNITS)
@operation("createPerson", tags=("units",), json=PersonIn, ok={201: (Person, "created")}, errors=WRITE_ERRORS)
def create_person():
    """Create a person (name required; phone, unit, roles)"""
    actor = current_actor()
    with writing() as session:
        person = register.create_person(session, body_of(PersonIn).sent(), actor)
        answer = register.person_dict(person, actor)
    return jsonify(answer), 201


@bp.get("/people/<int:person_id>")
@signed_in
@operation("getPerson", tags=("units",), ok={200: Person}, errors=(404,))
def get_person(person_id: int):
    """A person"""
    actor = current_actor()
    return jsonify(register.person_dict(register.get_person(db_session(), person_id, actor), actor))


@bp.patch("/people/<int:person_id>")
@allow(*roles.EDITS_UNITS)
@operation("editPerson", tags=("units",), json=PersonIn, ok={200: (Person, "changed")}, errors=(*WRITE_ERRORS, 404))
def edit_person(person_id: int):
    """Change a person (only the fields sent; roles replace the list)"""
    actor = current_actor()
    with writing() as session:
        person = register.edit_person(session, person_id, body_of(PersonIn).sent(), actor)
        answer = register.person_dict(person, actor)
    return jsonify(answer)


@bp.post("/people/<int:person_id>/retire")
@allow(*roles.EDITS_UNITS)
@operation("retirePerson", tags=("units",), json=PersonRetireIn, body_optional=True, ok={200: (Person, "gone")},
           errors=(*WRITE_ERRORS, 404, 409))  # fmt: skip
def retire_person(person_id: int):
    """A person who left: kept in every history, takes no new assignment (409 while they hold one)"""
    actor = current_actor()
    with writing() as session:
        person = register.retire_person(session, person_id, actor, on=body_of(PersonRetireIn).on)
        answer = register.person_dict(person, actor)
    return jsonify(answer)
