"""A treatment plan as the front desk sees it: its visits, how many are done, left and
cancelled, and the soreness the patient texted back over the plan."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.models import InboundMessage, Patient, TreatmentPlan, Visit, VisitStatus
from scheduler.scheduling.plans import get_plan
from scheduler.staff.board import BoardAppointment, plan_appointments

DONE = (VisitStatus.CHECKED_IN, VisitStatus.COMPLETED)
GONE = (VisitStatus.CANCELLED, VisitStatus.NO_SHOW)


@dataclass(frozen=True)
class PlanSummary:
    plan: TreatmentPlan
    patient: Patient
    appointments: list[BoardAppointment]  # every part of every visit, in time order
    done: int
    left: int
    cancelled: int  # cancelled or missed
    soreness: list[tuple[datetime, int]]  # each score texted about one of the plan's visits

    @property
    def may_cancel_rest(self) -> bool:
        return self.left > 0

    @property
    def may_extend(self) -> bool:
        """An extension repeats the last visit kept: a plan with none left cannot."""
        return self.done + self.left > 0


def plan_summary(session: Session, *, plan_id: int) -> PlanSummary:
    plan = get_plan(session, plan_id)
    statuses = session.exec(select(Visit.status).where(Visit.plan_id == plan_id)).all()
    scores = session.exec(
        select(InboundMessage.received_at, InboundMessage.soreness)
        .join(Visit, col(Visit.id) == InboundMessage.visit_id)
        .where(Visit.plan_id == plan_id, col(InboundMessage.soreness).is_not(None))
        .order_by(col(InboundMessage.received_at))
    ).all()
    return PlanSummary(
        plan=plan,
        patient=session.get_one(Patient, plan.patient_id),
        appointments=plan_appointments(session, plan_id=plan_id),
        done=sum(status in DONE for status in statuses),
        left=sum(status == VisitStatus.BOOKED for status in statuses),
        cancelled=sum(status in GONE for status in statuses),
        soreness=[(at, score) for at, score in scores if score is not None],
    )


def plans_of_patient(session: Session, *, patient_id: int) -> list[TreatmentPlan]:
    """The patient's plans, the newest first."""
    query = select(TreatmentPlan).where(TreatmentPlan.patient_id == patient_id)
    return list(session.exec(query.order_by(col(TreatmentPlan.id).desc())))
