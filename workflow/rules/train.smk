rule train_arith_model:
    """A tiny Llama trained on arith with its recipe (slmmux.training.RECIPES). The trained weights
    are shipped in models/, so this runs only when a model folder is missing (or is deleted to
    retrain it): one thread, deterministic from the recipe's seed, a few minutes each."""
    output:
        model_dir=directory(f"{TRAINED_DIR}/{{trained}}"),
    params:
        train=script("train_arith_model.py"),
    wildcard_constraints:
        trained="|".join(re.escape(t) for t in TRAINED) or "^$",
    threads: 1
    log:
        f"{R}/logs/train_arith_model/{{trained}}.log",
    conda:
        "../../envs/generation-cpu.yaml"
    shell:
        "nice -n 10 python {params.train} --name {wildcards.trained:q} --out {output.model_dir:q} 2> {log}"
