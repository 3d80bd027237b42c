rule generate:
    """k samples per question from one model on both splits of every benchmark, for one run seed (the GPU
    step): one job per (model, seed), so the model loads once for all benchmarks; one raw table per benchmark."""
    input:
        unpack(generate_inputs),
    output:
        samples=protected(expand(f"{R}/samples/raw/{{benchmark}}/{{{{model}}}}/seed{{{{seed}}}}.parquet", benchmark=BENCHMARKS)),
        provenance=protected(expand(f"{R}/samples/raw/{{benchmark}}/{{{{model}}}}/seed{{{{seed}}}}.provenance.json", benchmark=BENCHMARKS)),
    params:
        with_gpus=script("with_gpus.py"),
        generate=script("generate.py"),
        code=code_of("generate.py"),
        targets=lambda wc, input, output: " ".join(
            f"--questions {shlex.quote(q)} --out {shlex.quote(o)} --provenance {shlex.quote(p)}"
            for q, o, p in zip(input.questions, output.samples, output.provenance)
        ),
        sampling=sampling_args,
        backend=backend_args,
        max_tokens=config["generation"]["max_tokens"],
        top_p=config["generation"]["top_p"],
        chunk_size=config["generation"]["chunk_size"],
    log:
        f"{R}/logs/generate/{{model}}/seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/generate/{{model}}/seed{{seed}}.tsv"
    resources:
        gpu=lambda wc: gpus_of(wc.model),
        mem_mb=lambda wc: 16000 if gpus_of(wc.model) else 6000,
        runtime=lambda wc: 360 * len(BENCHMARKS) if gpus_of(wc.model) else 60 * len(BENCHMARKS),
    conda:
        "../../envs/generation-gpu.yaml" if config["generation"]["device"] == "cuda" else "../../envs/generation-cpu.yaml"
    shell:
        "python {params.with_gpus} --gpus {resources.gpu} --"
        " python {params.generate} {params.targets} --model-key {wildcards.model} --seed {wildcards.seed}"
        " {params.backend} {params.sampling} --top-p {params.top_p} --max-tokens {params.max_tokens}"
        " --chunk-size {params.chunk_size} 2> {log}"


rule grade:
    """Extract each sample's answer (strict and flexible), its voting key, and whether it is correct."""
    input:
        samples=f"{R}/samples/raw/{{benchmark}}/{{model}}/seed{{seed}}.parquet",
        questions=f"{R}/questions/{{benchmark}}.parquet",
    output:
        graded=f"{R}/samples/graded/{{benchmark}}/{{model}}/seed{{seed}}.parquet",
    params:
        grade=script("grade.py"),
        code=code_of("grade.py"),
    log:
        f"{R}/logs/grade/{{benchmark}}/{{model}}/seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/grade/{{benchmark}}/{{model}}/seed{{seed}}.tsv"
    threads: 2
    conda:
        "../../envs/analysis.yaml"
    shell:
        "python {params.grade} --samples {input.samples} --questions {input.questions}"
        " --out {output.graded} --workers {threads} 2> {log}"


rule generations:
    """Only the samples: generation and grading of every benchmark x model x seed."""
    input:
        [graded(b, MODELS) for b in BENCHMARKS],
