# The question explorer: one static HTML page per benchmark and model group (slmmux/explorer.py),
# shown in the HTML report and linked from the method comparison table's caption.


def explorer_inputs(wildcards):
    """The group's samples (and, for a searched group, the ranking that names its members), the
    questions, and every decision file of the group: selection and, when run, discussion."""
    inputs = selection_inputs(wildcards)
    del inputs["validation"]
    inputs["questions"] = f"{R}/questions/{wildcards.benchmark}.parquet"
    inputs["decisions"] = [f"{R}/selection/{wildcards.benchmark}/{wildcards.group}.parquet"]
    if wildcards.group in discussion_groups():
        inputs["decisions"] += [f"{R}/discussion/{wildcards.benchmark}/{wildcards.group}/{m}/seed{s}.parquet"
                                for m in config["discussion"]["methods"] for s in SEEDS]
    return inputs


EXPLORERS = [f"{R}/explorer/{b}/explorer_{b}_{g}.html" for b in BENCHMARKS for g in all_groups()]


rule explorer:
    """Every test question of one benchmark and group: samples, confidence, the selection and the baselines."""
    input:
        unpack(explorer_inputs),
    output:
        page=report(
            f"{R}/explorer/{{benchmark}}/explorer_{{benchmark}}_{{group}}.html",
            caption="../report/explorer.rst",
            category="Question explorer",
            subcategory="{benchmark}",
            labels={"benchmark": "{benchmark}", "group": "{group}"},
        ),
    params:
        explorer=script("explorer.py"),
        group=group_args,
    log:
        f"{R}/logs/explorer/{{benchmark}}/{{group}}.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.explorer} --samples {input.samples} --questions {input.questions}"
        " --decisions {input.decisions} --benchmark {wildcards.benchmark} --group {wildcards.group}"
        " {params.group} --out {output.page} 2> {log}"
