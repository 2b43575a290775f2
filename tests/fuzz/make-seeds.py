#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus-NAME/): a few valid inputs and a few
near-valid ones (truncated, a field off by one), each well under 20 KB.

    tests/fuzz/make-seeds.py [--cli build/app/smallmind-cli]

Without --cli only the seeds written here are made (vocabularies, tokenizer.bin, conversations,
reports, chat templates); with it, the project's own writers make the rest: tiny GGUF models of
every architecture (`init`), a checkpoint and a snapshot (`train` for one step).  The output is
deterministic but for the dates the writers record (a snapshot's, a checkpoint's)."""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))


def out(target, name, data):
    d = os.path.join(ROOT, 'corpus-' + target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < 20000, (target, name, len(data))
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---- GGUF (v3), as much of it as a vocabulary needs --------------------------------------------

U32, I32, F32, BOOL, STR, ARR = 4, 5, 6, 7, 8, 9


def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack('<Q', len(b)) + b


def gval(t, v):
    if t == U32:
        return struct.pack('<I', v)
    if t == I32:
        return struct.pack('<i', v)
    if t == F32:
        return struct.pack('<f', v)
    if t == BOOL:
        return struct.pack('<B', 1 if v else 0)
    if t == STR:
        return gstr(v)
    raise ValueError(t)


def gguf(kvs):
    """kvs: [(key, type, value)] with type ARR given as (ARR, elem_type) and a list."""
    body = b''
    for key, t, v in kvs:
        body += gstr(key)
        if isinstance(t, tuple):
            body += struct.pack('<IIQ', ARR, t[1], len(v)) + b''.join(gval(t[1], x) for x in v)
        else:
            body += struct.pack('<I', t) + gval(t, v)
    return b'GGUF' + struct.pack('<IQQ', 3, 0, len(kvs)) + body


def gpt2_alphabet():
    """GPT-2's printable stand-in for every byte (bytes_to_unicode in its encoder.py)."""
    keep = list(range(ord('!'), ord('~') + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    chars, n = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + n)
            n += 1
    return [chars[b] for b in range(256)]


CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
          "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
          "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
LLAMA3 = ("{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
          "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}")
GEMMA = ("{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\\n' + "
         "message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}")
PHI3 = ("{% for message in messages %}{{'<|' + message['role'] + '|>\\n' + message['content'] + "
        "'<|end|>\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}")
LLAMA2 = ("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
          "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + "
          "eos_token }}{% endif %}{% endfor %}")


def vocab_seeds():
    # SentencePiece ("llama"): control tokens, the 256 byte tokens and a few pieces
    pieces = ['<unk>', '<s>', '</s>'] + ['<0x%02X>' % b for b in range(256)] + \
        ['\u2581', '\u2581Hello', '\u2581world', 'H', 'e', 'l', 'o', 'll', '\u2581w', 'or', 'ld',
         '<|im_start|>', '<|im_end|>']
    types = [2, 3, 3] + [6] * 256 + [1] * 11 + [3, 3]
    scores = [0.0, 0.0, 0.0] + [-1000.0] * 256 + [-float(i) for i in range(11)] + [0.0, 0.0]
    spm = [('general.architecture', STR, 'llama'),
           ('tokenizer.ggml.model', STR, 'llama'),
           ('tokenizer.ggml.tokens', (ARR, STR), pieces),
           ('tokenizer.ggml.scores', (ARR, F32), scores),
           ('tokenizer.ggml.token_type', (ARR, I32), types),
           ('tokenizer.ggml.unknown_token_id', U32, 0),
           ('tokenizer.ggml.bos_token_id', U32, 1),
           ('tokenizer.ggml.eos_token_id', U32, 2),
           ('tokenizer.ggml.add_bos_token', BOOL, True),
           ('tokenizer.ggml.add_space_prefix', BOOL, True)]
    out('gguf-vocab', 'spm-chatml.gguf', gguf(spm + [('tokenizer.chat_template', STR, CHATML)]))
    out('gguf-vocab', 'spm-llama2.gguf', gguf(spm + [('tokenizer.chat_template', STR, LLAMA2)]))
    # no scores or types: the defaults llama.cpp takes
    out('gguf-vocab', 'spm-bare.gguf', gguf(spm[:3]))

    # GPT-2 byte-level BPE, with each of a few pre-tokenizers
    alpha = gpt2_alphabet()
    merges = [('\u0120', 't'), ('h', 'e'), ('\u0120t', 'he'), ('l', 'l'), ('o', 'r'),
              ('\u0120', 'w'), ('\u0120w', 'or'), ('\u0120wor', 'ld'), ('l', 'd'), ('e', 'll')]
    merged = [a + b for a, b in merges]
    toks = alpha + merged + ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|eot_id|>',
                             '<|start_header_id|>', '<|end_header_id|>']
    ttypes = [1] * (len(alpha) + len(merged)) + [3] * 6
    eot = len(toks) - 3
    for pre, tmpl in (('gpt-2', CHATML), ('llama-bpe', LLAMA3), ('qwen2', CHATML),
                      ('default', PHI3), ('tekken', GEMMA)):
        kv = [('general.architecture', STR, 'llama'),
              ('tokenizer.ggml.model', STR, 'gpt2'),
              ('tokenizer.ggml.pre', STR, pre),
              ('tokenizer.ggml.tokens', (ARR, STR), toks),
              ('tokenizer.ggml.token_type', (ARR, I32), ttypes),
              ('tokenizer.ggml.merges', (ARR, STR), [a + ' ' + b for a, b in merges]),
              ('tokenizer.ggml.bos_token_id', U32, len(alpha) + len(merged)),
              ('tokenizer.ggml.eos_token_id', U32, len(alpha) + len(merged)),
              ('tokenizer.ggml.eot_token_id', U32, eot),
              ('tokenizer.chat_template', STR, tmpl)]
        out('gguf-vocab', 'gpt2-%s.gguf' % pre, gguf(kv))

    # SmallMind's own kinds
    bpe = [(101, 32), (104, 101), (256, 108), (108, 111), (32, 116), (260, 257)]
    out('gguf-vocab', 'smallmind-bpe.gguf',
        gguf([('general.architecture', STR, 'gpt2'),
              ('tokenizer.ggml.model', STR, 'smallmind-bpe'),
              ('smallmind.tokenizer.merges', (ARR, I32), [x for p in bpe for x in p])]))
    out('gguf-vocab', 'smallmind-bpe-odd.gguf',
        gguf([('tokenizer.ggml.model', STR, 'smallmind-bpe'),
              ('smallmind.tokenizer.merges', (ARR, I32), [101, 32, 999])]))
    out('gguf-vocab', 'smallmind-bytes.gguf',
        gguf([('tokenizer.ggml.model', STR, 'smallmind-bytes'),
              ('tokenizer.chat_template', STR, 'gemma')]))


# ---- llama2.c's tokenizer.bin ----------------------------------------------------------------

def llama2c_tokenizer_seeds():
    def tok(pieces, max_len=16):
        b = struct.pack('<i', max_len)
        for i, p in enumerate(pieces):
            p = p.encode() if isinstance(p, str) else p
            b += struct.pack('<fi', -float(i), len(p)) + p
        return b
    pieces = ['<unk>', '\n<s>\n', '\n</s>\n'] + ['<0x%02X>' % b for b in range(256)] + \
        [' ', ' H', 'ello', ' w', 'orld', 'll', 'He', ' Hello', ' world', 'o', 'r', 'd']
    full = tok(pieces)
    out('llama2c-tokenizer', 'bytes-and-words.bin', full)
    out('llama2c-tokenizer', 'truncated.bin', full[:len(full) - 3])
    out('llama2c-tokenizer', 'no-bytes.bin', tok(['<unk>', '<s>', '</s>', ' a', 'b', ' ab']))
    out('llama2c-tokenizer', 'long-claim.bin', tok(['<unk>']) + struct.pack('<fi', 0.0, 1 << 20))


# ---- conversations the window saves ----------------------------------------------------------

def conversation_seeds():
    figures = {'prompt_tokens': 12, 'cached_tokens': 4, 'prefill_ms': 3.5, 'prefill_tps': 3400.0,
               'ttft_ms': 4.1, 'generated_tokens': 20, 'decode_tps': 180.0, 'context_used': 32,
               'context_size': 256, 'threads': 2, 'pool': True, 'stop_reason': 'eos',
               'kernels': 'avx2', 'model': 'SmallMind Small'}
    base = {'format': 'smallmind-conversation', 'id': '4f7a8c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b',
            'title': 'A story', 'created_ms': 1700000000000, 'modified_ms': 1700000005000}
    v1 = dict(base, version=1, messages=[
        {'role': 'user', 'text': 'Once upon a time'},
        {'role': 'assistant', 'text': ' there was a fox.\nIt ran.', 'figures': figures},
        {'role': 'user', 'text': 'And then?'},
        {'role': 'assistant', 'text': 'It slept', 'interrupted': True}])
    out('conversation', 'v1-line.json', json.dumps(v1, indent=1))
    v2 = dict(base, version=2, messages=[
        {'role': 'user', 'text': 'Hi'},
        {'role': 'assistant', 'text': 'Hello!'},
        {'role': 'assistant', 'text': 'Hey.', 'parent': 0, 'shown': True},
        {'role': 'user', 'text': 'Who are you?', 'parent': 1},
        {'role': 'user', 'text': 'Bye', 'parent': -1},
        {'role': 'assistant', 'text': 'A model', 'parent': 3, 'in_progress': True}])
    out('conversation', 'v2-branches.json', json.dumps(v2))
    bad = dict(base, messages=[{'role': 'user', 'text': 'a'}, {'role': 'user', 'parent': 5, 'text': 'b'}])
    out('conversation', 'bad-parent.json', json.dumps(bad))
    out('conversation', 'empty.json', json.dumps(dict(base, messages=[])))
    out('conversation', 'no-role.json', json.dumps(dict(base, messages=[{'text': 'x'}])))


# ---- Markdown reports that `compare` reads ---------------------------------------------------

def profile_seeds():
    report = """# SmallMind Profiling Report

**Generated:** 2024-05-01T10:00:00Z

## Hot Paths

| Method | Time (ms) | Self (ms) | Calls | Alloc (MB) | Sys allocs | Parent |
| --- | ---: | ---: | ---: | ---: | ---: | --- |
| `Generate` | 1,234.5 | 10.0 | 1 | 2.5 | 12 | — |
| **Forward** | 1,100.25 | 100 | 64 | 0 | 0 | Generate |
| Matmul | 900 | 900 | 4096 | | | Forward, — |
| Softmax | 50.5 | 50.5 | 64 | - | - | Forward |

## Machine

| CPU | x |
"""
    out('profile', 'report.md', report)
    old = """# Profile

## Hot Paths

| Method | Time (ms) | Calls |
|---|---|---|
| Basic_GenerateToken | 12.5 | 100 |
| Basic_Forward | 10 | 100 |
| Enhanced_Run | 30 | 1 |
| broken row |
"""
    out('profile', 'old-report.md', old)
    out('profile', 'no-table.md', "# Hot Paths\n\nnothing here\n")


# ---- chat templates ----------------------------------------------------------------------------

def chat_template_seeds():
    for name, text in (('chatml', CHATML), ('llama3', LLAMA3), ('gemma', GEMMA), ('phi3', PHI3),
                       ('llama2', LLAMA2),
                       ('llama2-sys', LLAMA2 + "{{ '<<SYS>>\\n' + system + '\\n<</SYS>>\\n\\n' }}"),
                       ('mistral-v7', "[SYSTEM_PROMPT]{{ s }}[/SYSTEM_PROMPT][INST]{{ m }}[/INST]"),
                       ('zephyr', "<|user|>\n{{ m }}<|endoftext|>"),
                       ('phi4', "<|im_start|>{{ r }}<|im_sep|>{{ c }}<|im_end|>")):
        out('chat-template', name + '.jinja', text)
    # a template, then the turns' texts, NUL-separated
    out('chat-template', 'chatml-turns.bin', b'chatml\0Be brief.\0  Hi  \0\xc3\xa9t\xc3\xa9 \xf0\x9f\x99\x82')
    out('chat-template', 'name-llama3.bin', b'llama3')


# ---- the project's own writers -------------------------------------------------------------------

def cli_seeds(cli):
    with tempfile.TemporaryDirectory() as tmp:
        def run(*args):
            subprocess.run([cli] + list(args), check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, cwd=tmp)
        tiny = ['--dim=32', '--hidden=32', '--layers=1', '--heads=2', '--vocab=48', '--context=16']
        for arch, extra in (('llama', []), ('llama', ['--untied', '--kv-heads=1']),
                            ('gpt', ['--vocab=256', '--context=4']), ('qwen2', []), ('qwen3', ['--head-dim=16']),
                            ('phi3', ['--sliding-window=8']), ('gemma2', ['--chat-template=gemma']),
                            ('llama', ['--chat-template=chatml', '--type=q8_0'])):
            # GPT's byte vocabulary is 256 tokens, so its model is kept short instead
            name = 'init-%s%s.gguf' % (arch, ''.join(e.split('=')[0].replace('--', '-') for e in extra
                                                     if arch != 'gpt'))
            path = os.path.join(tmp, name)
            typ = [] if any(e.startswith('--type') for e in extra) else ['--type=q4_0']
            given = {e.split('=')[0] for e in extra}
            run('init', '--arch=' + arch, *[t for t in tiny if t.split('=')[0] not in given],
                *typ, *extra, path)
            data = open(path, 'rb').read()
            out('gguf', name, data)
        # a checkpoint and a snapshot, from one step of training a tiny model on bytes
        corpus = os.path.join(tmp, 'corpus.txt')
        with open(corpus, 'w') as f:
            f.write('Once upon a time there was a fox. It ran and ran. The end.\n' * 8)
        model = os.path.join(tmp, 'tiny.smck')
        snap = os.path.join(tmp, 'train.json')
        run('train', corpus, '--dim=4', '--layers=1', '--heads=1', '--hidden=4', '--context=4',
            '--steps=1', '--batch=1', '--eval-every=0', '--save-every=0', '--eval-windows=1',
            '-o', model, '--snapshot=' + snap)
        ck = open(model, 'rb').read()
        out('checkpoint', 'tiny-bytes.smck', ck)
        out('checkpoint', 'tiny-bytes-truncated.smck', ck[:len(ck) // 2])
        # and with SmallMind's byte-level BPE (its merges in the metadata)
        bpe = os.path.join(tmp, 'bpe.json')
        run('train-tokenizer', corpus, '--merges=8', '-o', bpe)
        run('train', corpus, '--bpe=' + bpe, '--dim=4', '--layers=1', '--heads=1', '--hidden=4',
            '--context=4', '--steps=1', '--batch=1', '--eval-every=0', '--save-every=0',
            '--eval-windows=1', '-o', model)
        out('checkpoint', 'tiny-bpe.smck', open(model, 'rb').read())
        data = open(snap, 'rb').read()
        if len(data) < 20000:
            out('snapshot', 'train.json', data)


def snapshot_seeds():
    """A hand-made snapshot with what a profiling run writes, small enough to mutate."""
    snap = {'format': 'smallmind-snapshot', 'schema': 1, 'created': '2024-05-01T10:00:00Z'}
    out('snapshot', 'minimal.json', json.dumps(snap))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cli', help='smallmind-cli of a build, for the seeds its writers make')
    a = ap.parse_args()
    vocab_seeds()
    llama2c_tokenizer_seeds()
    conversation_seeds()
    profile_seeds()
    chat_template_seeds()
    snapshot_seeds()
    if a.cli:
        cli_seeds(os.path.abspath(a.cli))


if __name__ == '__main__':
    sys.exit(main())
