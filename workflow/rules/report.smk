# Tables, figures, the manifest and the HTML report (snakemake --report).
rule resolved_config:
    """The complete configuration (defaults filled in), recorded for the tables and the manifest."""
    output:
        config=RESOLVED_CONFIG,
    params:
        config=json.dumps(config, indent=2, sort_keys=True),
    log:
        f"{R}/logs/resolved_config.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "printf '%s\\n' {params.config:q} > {output.config} 2> {log}"


rule tables:
    """The paper's tables as Markdown, LaTeX and CSV, with the paper's numbers beside ours where configurations match."""
    input:
        **analysis_inputs(),
    output:
        tables=[report_item(p, "Tables") for p in TABLES],
    params:
        make_tables=script("make_tables.py"),
        code=code_of("make_tables.py"),
        outdir=lambda wc, output: str(Path(output.tables[0]).parent),
        reference=shell_join(["--reference-model", REFERENCE]) if REFERENCE else "",
    log:
        f"{R}/logs/tables.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.make_tables} --decisions {input.decisions} {input.discussion} --search {input.search}"
        " --scaling-samples {input.scaling_samples} --scaling-models {input.scaling_models}"
        " --samples {input.samples} --validation {input.validation} --questions {input.questions}"
        " --config {input.config} {params.reference} --outdir {params.outdir} 2> {log}"


rule figures:
    """The paper's figures as PNG and PDF."""
    input:
        **analysis_inputs(),
    output:
        figures=[report_item(p, "Figures") for p in FIGURES],
    params:
        make_figures=script("make_figures.py"),
        code=code_of("make_figures.py"),
        outdir=lambda wc, output: str(Path(output.figures[0]).parent),
        reference=shell_join(["--reference-model", REFERENCE]) if REFERENCE else "",
    log:
        f"{R}/logs/figures.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.make_figures} --decisions {input.decisions} {input.discussion} --search {input.search}"
        " --scaling-samples {input.scaling_samples} --scaling-models {input.scaling_models}"
        " --samples {input.samples} --validation {input.validation} --questions {input.questions}"
        " --config {input.config} {params.reference} --outdir {params.outdir} 2> {log}"


rule manifest:
    """sha256 of every artifact, with the provenance of the samples, configs and software behind it."""
    input:
        tables=TABLES,
        figures=FIGURES,
        samples=[p for b in BENCHMARKS for p in raw(b, MODELS)] + [p for b in BENCHMARKS for p in graded(b, MODELS)],
        config=RESOLVED_CONFIG,
    output:
        manifest=f"{R}/manifest.json",
    params:
        make_manifest=script("make_manifest.py"),
        code=code_of("make_manifest.py"),
        repo=shell_join([Path(workflow.basedir).parent]),
        root=lambda wc, output: str(Path(output.manifest).parent),
    log:
        f"{R}/logs/manifest.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.make_manifest} --root {params.root} --inputs {input.samples} --config {input.config}"
        " --repo {params.repo} --out {output.manifest} 2> {log}"
