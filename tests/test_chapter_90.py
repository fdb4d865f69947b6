"""The claims-audit appendix re-run with another tolerance: its verdict counts follow llmcost.audit."""

from chapter_runs import assert_refused, assert_rejected, glued, run_chapter

from llmcost import audit


def test_audit_appendix_with_a_looser_tolerance(tmp_path):
    values = glued(run_chapter("90_claims_audit", tmp_path, tolerance=0.1))
    table = audit.audit_table(0.1)
    strict = audit.audit_table(0.05)
    assert values["c90_tolerance"] == "10%"
    assert values["c90_consistent"] == str((table["verdict"] == "consistent").sum())
    assert values["c90_off"] == str((table["verdict"] == "off").sum())
    assert int(values["c90_consistent"]) > (strict["verdict"] == "consistent").sum()  # e.g. GPT-3's 502 t (ratio 0.91)
    assert values["c90_seed002_off"] == str(((table["source"] == "seed002") & (table["verdict"] == "off")).sum())
    assert values["c90_claims"] == str(len(audit.recompute_all()))


def test_audit_appendix_rejects_a_bad_tolerance():
    assert_refused("90_claims_audit", "tolerance must be a fraction in [0, 1)", tolerance=1.5)


def test_audit_appendix_refuses_a_parameter_it_does_not_declare(tmp_path):
    """papermill -p tolerence 0.1 must not run the chapter on its defaults without a word."""
    assert_rejected("90_claims_audit", tmp_path, "unknown parameter 'tolerence'; this chapter accepts: tolerance", tolerence=0.1)
