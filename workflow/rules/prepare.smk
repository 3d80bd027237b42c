rule prepare_questions:
    """Questions of one benchmark, split into validation and test."""
    output:
        questions=f"{R}/questions/{{benchmark}}.parquet",
    params:
        prepare=script("prepare.py"),
        code=code_of("prepare.py"),
        source=lambda wc: config["benchmarks"][wc.benchmark]["validation_source"],
        validation_size=lambda wc: config["benchmarks"][wc.benchmark]["validation_size"],
        test_size=lambda wc: config["benchmarks"][wc.benchmark]["test_size"] or "all",
        seed=config["split_seed"],
    log:
        f"{R}/logs/prepare_questions/{{benchmark}}.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.prepare} --benchmark {wildcards.benchmark} --validation-source {params.source}"
        " --validation-size {params.validation_size} --test-size {params.test_size} --seed {params.seed}"
        " --out {output.questions} 2> {log}"


rule build_tiny_model:
    """A tiny random Llama with a BPE tokenizer, for the embedded default and tests (untrained: noise answers)."""
    output:
        model_dir=directory(f"{TINY_MODEL_DIR}/{{tiny}}"),
    params:
        build_tiny_model=script("build_tiny_model.py"),
        code=code_of("build_tiny_model.py"),
        seed=lambda wc: config["models"][wc.tiny]["tiny"]["seed"],
        hidden_size=lambda wc: config["models"][wc.tiny]["tiny"]["hidden_size"],
        layers=lambda wc: config["models"][wc.tiny]["tiny"]["layers"],
    wildcard_constraints:
        tiny="|".join(re.escape(t) for t in TINY) or "^$",
    log:
        f"{R}/logs/build_tiny_model/{{tiny}}.log",
    conda:
        "../../envs/generation-cpu.yaml"
    shell:
        "python {params.build_tiny_model} --out {output.model_dir} --seed {params.seed}"
        " --hidden-size {params.hidden_size} --layers {params.layers} 2> {log}"


rule model_sheet:
    """The completed model sheet (defaults filled) as JSON, for scripts that load several models and for the manifest."""
    output:
        sheet=MODEL_SHEET,
    params:
        sheet=json.dumps(loadable_sheet(), indent=2, sort_keys=True),
    log:
        f"{R}/logs/model_sheet.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "printf '%s\\n' {params.sheet:q} > {output.sheet} 2> {log}"
