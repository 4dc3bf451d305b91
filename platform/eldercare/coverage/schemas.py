import marshmallow as ma
from marshmallow import validate

from ..apibase import RowId

STATUSES = ("none", "partial", "full")


class CoverageQuerySchema(ma.Schema):
    region_id = RowId(metadata={"description": "a district or street within the caller's area (default: all of it)"})
    status = ma.fields.String(validate=validate.OneOf(STATUSES), metadata={
        "description": "`none`: no elder has a provider or service point within 1.5 km; `partial`: some have none; "
                       "`full`: every elder has one"})


class ReachSchema(ma.Schema):
    id = ma.fields.Integer(attribute="place.id")
    name = ma.fields.String(attribute="place.name")
    kind = ma.fields.String(attribute="place.kind", metadata={
        "description": "`provider` (its base), or the service point's kind: `canteen`, `bathing`, `day_care`"})
    lat = ma.fields.Float(attribute="place.lat")
    lng = ma.fields.Float(attribute="place.lng")
    elders_reached = ma.fields.Integer(attribute="elders", metadata={
        "description": "the community's elders living within 1.5 km of it"})


class CommunityCoverageSchema(ma.Schema):
    community_id = ma.fields.Integer(attribute="id")
    name = ma.fields.String()
    street_id = ma.fields.Integer(allow_none=True)
    street_name = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "`none`, `partial` or `full`"})
    elders = ma.fields.Integer(metadata={"description": "elders living at home (not deceased, not in a care home)"})
    elders_covered = ma.fields.Integer(attribute="covered", metadata={
        "description": "elders with at least one provider or service point within 1.5 km"})
    elders_uncovered = ma.fields.Integer(attribute="uncovered", metadata={
        "description": "elders with no provider and no service point within 1.5 km: where to recruit"})
    centroid = ma.fields.Function(lambda c: {"lat": c.lat, "lng": c.lng})
    extent = ma.fields.Function(lambda c: {"lat_min": c.lat_min, "lat_max": c.lat_max, "lng_min": c.lng_min,
                                           "lng_max": c.lng_max})
    providers = ma.fields.List(ma.fields.Nested(ReachSchema), metadata={
        "description": "approved providers based within 1.5 km of at least one of its elders"})
    service_points = ma.fields.List(ma.fields.Nested(ReachSchema), attribute="points", metadata={
        "description": "approved service points within 1.5 km of at least one of its elders"})
