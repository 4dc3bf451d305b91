"""Imports every domain's models so that SQLAlchemy and Alembic see all tables."""
from .accounts.models import ApiToken, User  # noqa: F401
from .audit.findings import AuditCase, CaseStep, Finding  # noqa: F401
from .audit.models import AuditEvent  # noqa: F401
from .audit.rules import RULES as AUDIT_RULES  # noqa: F401  declares the index the day's scan reads by
from .audit.samples import FollowUpCall, FollowUpSample, SampleOrder  # noqa: F401
from .careplans import events as care_plan_events  # noqa: F401  plans follow the registry and orders
from .careplans.models import CarePlan, CarePlanPause, CarePlanSkip, CarePlanTime  # noqa: F401
from .catalog.models import Category, Item  # noqa: F401
from .coverage.models import elders_by_cell  # noqa: F401  the coverage map's index on the elders' homes
from .elders.models import Assessment, Elder, ElderEvent, FamilyLink, StatusChange  # noqa: F401
from .idempotency import IdempotencyKey  # noqa: F401
from .notifications import subscriptions as notification_subscriptions  # noqa: F401  orders tell people
from .notifications.models import Notification  # noqa: F401
from .orders import registry_events  # noqa: F401  cancels open orders on a death or hospital stay
from .orders.models import OrderOffer, OrderStatusChange, WorkOrder  # noqa: F401
from .payments import subscriptions as payment_subscriptions  # noqa: F401  a paid order cancelled is refunded
from .payments.models import Payment, StripeEvent  # noqa: F401
from .providers.models import (  # noqa: F401
    Availability,
    Caregiver,
    Certificate,
    Provider,
    ProviderDocument,
    ProviderPrice,
    ProviderReview,
)
from .regions.models import Region  # noqa: F401
from .servicepoints.models import CheckIn, ElderCard, PointItem, ServicePoint  # noqa: F401
from .settlement.models import Statement, StatementLine  # noqa: F401
from .vouchers import subscriptions  # noqa: F401  same-day vouchers for newly eligible elders
from .vouchers.models import (  # noqa: F401
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    VoucherGrant,
    VoucherPolicy,
    VoucherTier,
)
