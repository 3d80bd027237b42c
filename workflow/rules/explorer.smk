# The question explorer: one static HTML page per benchmark and model group (slmmux/explorer.py),
# shown in the HTML report and linked from the method comparison table's caption.


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
        code=code_of("explorer.py"),
        group=group_args,
    log:
        f"{R}/logs/explorer/{{benchmark}}/{{group}}.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.explorer} --samples {input.samples} --answer-clusters {input.clusters}"
        " --questions {input.questions}"
        " --decisions {input.decisions} --benchmark {wildcards.benchmark} --group {wildcards.group}"
        " {params.group} --out {output.page} 2> {log}"
