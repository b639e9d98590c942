#!/usr/bin/env python3
"""CPU budget of a load run from `perf script` output (docs/ranking.md, "Session 9").

usage: cpu-budget.py load.script MS_CPU_PER_REQUEST

Each sample (one call stack) is given to the first part below whose frames it contains, in this order, and the
shares are turned into milliseconds of CPU per request with the load client's "ms CPU per request" figure.
Needs a perf map (DOTNET_PerfMapEnabled=1, DOTNET_EnableWriteXorExecute=0) for managed frames to have names.
"""
import collections
import sys

PARTS = [
    ('vector: dense branch', ['Segment::QuantizedTop', 'Segment::ClusteredTop', 'Segment::Walk', 'Segment::ExactTop', 'Segment::ZeroQueryTop']),
    ('vector: sparse branch', ['Segment::SparseTop']),
    ('vector: fusion', ['SlotFusion::Fuse']),
    ('vector: hits to the response message', ['VectorProtoMapping::ToResponse']),
    ('vector: filter, selection, the rest', ['EmbeddedVectorStore::SearchAsync', 'VectorGrpcService+<Search>', 'InProcessCallInvoker']),
    ('ranking: feature extraction', ['FeatureExtractor::Extract']),
    # Rank and Page too: the JIT sometimes inlines Finish into the search pipeline.
    ('ranking: scoring, rules, diversity, page', ['RankingTail::Finish', 'RankingTail::Rank', 'RankingTail::Page']),
    ('ranking: resolving the retrieved pins', ['RetrievedPins::Resolve', 'SearchPipeline+<ResolveAsync>']),
    ('ranking: query parsing, embedding, search log, the rest', ['SearchPipeline+<SearchAsync>']),
    ('server: Kestrel, HTTP/2, gRPC, middleware', ['Microsoft.AspNetCore', 'Grpc.AspNetCore']),
    ('load client: HttpClient, gRPC client', ['System.Net.Http', 'Grpc.Net.Client', 'Recommender.LoadTests']),
    ('runtime threads (GC, JIT)', ['libcoreclr.so', 'libclrjit.so']),
    ('thread pool, scheduling, other kernel time', ['']),
]


def stacks(path):
    current = []
    with open(path, errors='replace') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip():
                if current:
                    yield '\n'.join(current)
                current = []
            elif line[0] in ' \t':
                current.append(line.strip())
            else:
                current = []
    if current:
        yield '\n'.join(current)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    per_request = float(sys.argv[2])
    counts = collections.Counter()
    total = 0
    for stack in stacks(sys.argv[1]):
        total += 1
        counts[next(name for name, keys in PARTS if any(k in stack for k in keys))] += 1
    if total == 0:
        sys.exit(f'no samples in {sys.argv[1]}')
    print('| part | share | ms CPU per request |\n|---|---:|---:|')
    for name, _ in PARTS:
        print(f'| {name} | {100 * counts[name] / total:.1f}% | {per_request * counts[name] / total:.3f} |')


if __name__ == '__main__':
    main()
