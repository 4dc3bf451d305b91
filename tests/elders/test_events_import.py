"""Registry events in bulk from the command line."""
from sqlalchemy import select

from eldercare.elders.models import Elder

from ..factories import ElderFactory


def test_events_are_recorded_rejects_listed_and_a_second_run_changes_nothing(app, db, tmp_path):
    dies, admitted = ElderFactory(), ElderFactory()
    path = tmp_path / "events.csv"
    path.write_text("id_number,kind,occurred_on,note\n"
                    f"{dies.id_number},death,2026-11-01,死亡登记\n"
                    f"{admitted.id_number},hospital_admission,2026-11-02,\n"
                    f"{admitted.id_number},hospital_discharge,2026-11-04,出院\n"
                    f"{admitted.id_number},institution_admission,2026-11-05,入住养老院\n"
                    f"{dies.id_number},hospital_admission,2026-11-05,\n"
                    "123,death,2026-11-01,\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-events", str(path)])
    assert result.exit_code == 1, result.output
    assert "6 rows: 4 recorded, 0 already recorded, 2 rejected." in result.output
    assert f"line 6: {dies.id_number}: Not possible while the elder is deceased." in result.output
    assert "line 7: 123: Not a valid resident ID number." in result.output
    statuses = dict(db.session.execute(select(Elder.id, Elder.status)).all())
    assert statuses == {dies.id: "deceased", admitted.id: "institutionalized"}

    again = app.test_cli_runner().invoke(args=["import-events", str(path)])
    assert "0 recorded, 4 already recorded, 2 rejected." in again.output
