rule discuss:
    """A discussion baseline (Mixture-of-Agents, LLM-Debate or Multi-Agent Verification) for one group and seed.
    Each member is reached through its own backend from the model sheet; members on vLLM are loaded one
    at a time (per round), so the job requests only its largest member's GPUs."""
    input:
        questions=f"{R}/questions/{{benchmark}}.parquet",
        sheet=MODEL_SHEET,
        model_dirs=lambda wc: [f"{TINY_MODEL_DIR}/{m}" for m in GROUPS[wc.group] if m in TINY]
        + [model_location(m) for m in GROUPS[wc.group] if model_entry(m)["trained"] is not None],
        replay_files=lambda wc: [model_entry(m)["replay_file"] for m in GROUPS[wc.group] if backend_of(m) == "replay"],
    output:
        decisions=f"{R}/discussion/{{benchmark}}/{{group}}/{{method}}/seed{{seed}}.parquet",
        transcript=f"{R}/discussion/{{benchmark}}/{{group}}/{{method}}/seed{{seed}}.transcript.parquet",
    params:
        with_gpus=script("with_gpus.py"),
        discuss=script("discuss.py"),
        code=code_of("discuss.py"),
        members=lambda wc: shell_join(sorted(GROUPS[wc.group])),
        backend=config["generation"]["backend"],
        temperature=config["discussion"]["temperature"],
        max_tokens=config["generation"]["max_tokens"],
        limit=f"--limit {config['discussion']['limit']}" if config["discussion"]["limit"] else "",
    log:
        f"{R}/logs/discuss/{{benchmark}}/{{group}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/discuss/{{benchmark}}/{{group}}/{{method}}/seed{{seed}}.tsv"
    resources:
        gpu=lambda wc: max(gpus_of(m) for m in GROUPS[wc.group]),
        mem_mb=lambda wc: 16000 if max(gpus_of(m) for m in GROUPS[wc.group]) else 8000,
        runtime=lambda wc: 720 if max(gpus_of(m) for m in GROUPS[wc.group]) else 60,
    conda:
        "../../envs/generation-gpu.yaml" if config["generation"]["device"] == "cuda" else "../../envs/generation-cpu.yaml"
    shell:
        "python {params.with_gpus} --gpus {resources.gpu} --"
        " python {params.discuss} --method {wildcards.method} --questions {input.questions} --split test"
        " --group {wildcards.group} --models {params.members} --model-sheet {input.sheet}"
        " --backend {params.backend} --seed {wildcards.seed} --temperature {params.temperature}"
        " --max-tokens {params.max_tokens} {params.limit} --out {output.decisions}"
        " --transcript {output.transcript} 2> {log}"
