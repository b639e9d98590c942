using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Recommender.Embeddings.Training;

namespace Recommender.Cli.Evaluation;

/// <summary>
/// The lexical baseline: Lucene's EnglishAnalyzer (standard tokenizer, possessives, lower case, English stop words,
/// Porter stemming) and BM25Similarity with its defaults (k1 1.2, b 0.75); a query is the OR of its analysed terms.
/// </summary>
public sealed class LuceneBm25 : IDisposable
{
    private const LuceneVersion Version = LuceneVersion.LUCENE_48;
    private readonly RAMDirectory _directory = new();
    private readonly EnglishAnalyzer _analyzer = new(Version);
    private readonly DirectoryReader _reader;
    private readonly IndexSearcher _searcher;

    public LuceneBm25(IEnumerable<CatalogProduct> products, Func<CatalogProduct, string> text)
    {
        using (var writer = new IndexWriter(_directory, new IndexWriterConfig(Version, _analyzer) { Similarity = new BM25Similarity() }))
        {
            foreach (var product in products)
            {
                writer.AddDocument(new Document
                {
                    new StringField("id", product.Id, Field.Store.YES),
                    new TextField("text", text(product), Field.Store.NO),
                });
            }

            writer.Commit();
        }

        _reader = DirectoryReader.Open(_directory);
        _searcher = new IndexSearcher(_reader) { Similarity = new BM25Similarity() };
    }

    public List<string> Search(string query, int limit)
    {
        var boolean = new BooleanQuery();
        using (var stream = _analyzer.GetTokenStream("text", query))
        {
            var term = stream.AddAttribute<ICharTermAttribute>();
            stream.Reset();
            while (stream.IncrementToken())
            {
                boolean.Add(new TermQuery(new Term("text", term.ToString())), Occur.SHOULD);
            }

            stream.End();
        }

        if (boolean.Clauses.Count == 0)
        {
            return [];
        }

        return _searcher.Search(boolean, limit).ScoreDocs.Select(d => _searcher.Doc(d.Doc).Get("id")).ToList();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _analyzer.Dispose();
        _directory.Dispose();
    }
}
