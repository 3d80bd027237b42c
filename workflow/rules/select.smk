rule validation_accuracy:
    """Each model's accuracy on the validation split (SLM-MUX breaks confidence ties with it)."""
    input:
        samples=lambda wc: graded(wc.benchmark, MODELS),
    output:
        accuracy=f"{R}/validation/{{benchmark}}.parquet",
    params:
        validation_accuracy=script("validation_accuracy.py"),
        code=code_of("validation_accuracy.py"),
    log:
        f"{R}/logs/validation_accuracy/{{benchmark}}.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.validation_accuracy} --samples {input.samples} --out {output.accuracy} 2> {log}"


rule answer_clusters:
    """Which answers of each question are one answer (the grader's equivalence, over every model's samples)."""
    input:
        samples=lambda wc: graded(wc.benchmark, MODELS),
    output:
        clusters=f"{R}/clusters/{{benchmark}}.parquet",
    params:
        answer_clusters=script("answer_clusters.py"),
        code=code_of("answer_clusters.py"),
    log:
        f"{R}/logs/answer_clusters/{{benchmark}}.log",
    benchmark:
        f"{R}/benchmarks/answer_clusters/{{benchmark}}.tsv"
    threads: 2
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.answer_clusters} --samples {input.samples} --out {output.clusters}"
        " --workers {threads} 2> {log}"


rule select:
    """SLM-MUX (Algorithm 1) and the baselines for one model group on the test split."""
    input:
        unpack(selection_inputs),
    output:
        decisions=f"{R}/selection/{{benchmark}}/{{group}}.parquet",
    params:
        select=script("selection.py"),
        code=code_of("selection.py"),
        group=group_args,
        k=selection_k_arg(),
        confidence=config["selection"]["confidence_denominator"],
        own_tie=config["selection"]["own_tie"],
    log:
        f"{R}/logs/select/{{benchmark}}/{{group}}.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.select} --samples {input.samples} --answer-clusters {input.clusters}"
        " --validation-accuracy {input.validation}"
        " --group {wildcards.group} {params.group} {params.k} --confidence-denominator {params.confidence}"
        " --own-tie {params.own_tie} --out {output.decisions} 2> {log}"


rule search:
    """Rank model subsets by union accuracy minus the contradiction penalty (validation split)."""
    input:
        samples=lambda wc: graded(wc.benchmark, pool()),
        clusters=f"{R}/clusters/{{benchmark}}.parquet",
    output:
        ranking=f"{R}/search/{{benchmark}}.parquet",
    params:
        search=script("search.py"),
        code=code_of("search.py"),
        sizes=" ".join(str(s) for s in config["search"]["sizes"]),
        lam=config["search"]["lam"],
        robust_level=config["search"]["robust_level"],
        base=config["search"]["contradiction_base"],
        empty_samples=config["search"]["empty_samples"],
        single="yes" if config["search"]["single_sample_consistent"] else "no",
        method=config["search"]["method"],
        beam_width=config["search"]["beam_width"],
    log:
        f"{R}/logs/search/{{benchmark}}.log",
    benchmark:
        f"{R}/benchmarks/search/{{benchmark}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.search} --samples {input.samples} --answer-clusters {input.clusters}"
        " --sizes {params.sizes} --lam {params.lam}"
        " --robust-level {params.robust_level} --contradiction-base {params.base} --method {params.method}"
        " --empty-samples {params.empty_samples} --single-sample-consistent {params.single}"
        " --beam-width {params.beam_width} --out {output.ranking} 2> {log}"


rule scale_samples:
    """Accuracy of SLM-MUX and Agent Forest vs samples per model k (Monte Carlo over the generated samples)."""
    input:
        unpack(selection_inputs),
    output:
        sweep=f"{R}/scaling/{{benchmark}}/samples_{{group}}.parquet",
    params:
        scale=script("scale.py"),
        code=code_of("scale.py"),
        group=group_args,
        k_max=config["scaling"]["k_max"],
        trials=config["scaling"]["trials"],
        seed=config["scaling"]["seed"],
        confidence=config["selection"]["confidence_denominator"],
    log:
        f"{R}/logs/scale_samples/{{benchmark}}/{{group}}.log",
    benchmark:
        f"{R}/benchmarks/scale_samples/{{benchmark}}/{{group}}.tsv"
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.scale} samples --samples {input.samples} --answer-clusters {input.clusters}"
        " --validation-accuracy {input.validation}"
        " --group {wildcards.group} {params.group} --k-max {params.k_max} --trials {params.trials}"
        " --seed {params.seed} --confidence-denominator {params.confidence} --out {output.sweep} 2> {log}"


rule scale_models:
    """Accuracy of the best searched subset of each size K, with its union accuracy (the ceiling)."""
    input:
        samples=lambda wc: graded(wc.benchmark, pool()),
        clusters=f"{R}/clusters/{{benchmark}}.parquet",
        validation=f"{R}/validation/{{benchmark}}.parquet",
        ranking=f"{R}/search/{{benchmark}}.parquet",
    output:
        sweep=f"{R}/scaling/{{benchmark}}/models.parquet",
    params:
        scale=script("scale.py"),
        code=code_of("scale.py"),
        sizes=" ".join(str(s) for s in config["search"]["sizes"]),
        k=selection_k_arg(),
        confidence=config["selection"]["confidence_denominator"],
        own_tie=config["selection"]["own_tie"],
    log:
        f"{R}/logs/scale_models/{{benchmark}}.log",
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.scale} models --samples {input.samples} --answer-clusters {input.clusters}"
        " --validation-accuracy {input.validation}"
        " --search {input.ranking} --sizes {params.sizes} {params.k} --confidence-denominator {params.confidence}"
        " --own-tie {params.own_tie} --out {output.sweep} 2> {log}"
