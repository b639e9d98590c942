namespace Recommender.Embeddings;

/// <summary>
/// The Porter (1980) stemming algorithm, as Lucene's PorterStemFilter applies it: "painting", "painted" and
/// "paints" all become "paint". Used for sparse term ids only, so lexical matching forgives word endings while dense
/// features keep the surface form. Tokens with digits or shorter than three letters are returned as they are.
/// </summary>
public static class PorterStemmer
{
    public static string Stem(string word)
    {
        if (word.Length <= 2)
        {
            return word;
        }

        foreach (var c in word)
        {
            if (c is < 'a' or > 'z')
            {
                return word;
            }
        }

        var w = new Word(word);
        w.Step1Ab();
        w.Step1C();
        w.Step2();
        w.Step3();
        w.Step4();
        w.Step5();
        return w.ToString();
    }

    private sealed class Word(string word)
    {
        private readonly char[] _b = word.ToCharArray();
        private int _k = word.Length - 1; // end of the current word
        private int _j; // end of the stem when a suffix matched

        public override string ToString() => new(_b, 0, _k + 1);

        private bool IsConsonant(int i) => _b[i] switch
        {
            'a' or 'e' or 'i' or 'o' or 'u' => false,
            'y' => i == 0 || !IsConsonant(i - 1),
            _ => true,
        };

        /// <summary>m(): the number of VC sequences in b[0.._j].</summary>
        private int Measure()
        {
            var n = 0;
            var i = 0;
            while (true)
            {
                if (i > _j)
                {
                    return n;
                }

                if (!IsConsonant(i))
                {
                    break;
                }

                i++;
            }

            i++;
            while (true)
            {
                while (true)
                {
                    if (i > _j)
                    {
                        return n;
                    }

                    if (IsConsonant(i))
                    {
                        break;
                    }

                    i++;
                }

                i++;
                n++;
                while (true)
                {
                    if (i > _j)
                    {
                        return n;
                    }

                    if (!IsConsonant(i))
                    {
                        break;
                    }

                    i++;
                }

                i++;
            }
        }

        private bool VowelInStem()
        {
            for (var i = 0; i <= _j; i++)
            {
                if (!IsConsonant(i))
                {
                    return true;
                }
            }

            return false;
        }

        private bool DoubleConsonant(int j) => j >= 1 && _b[j] == _b[j - 1] && IsConsonant(j);

        /// <summary>cvc(i): consonant-vowel-consonant ending at i, the last not w, x or y.</summary>
        private bool Cvc(int i)
        {
            if (i < 2 || !IsConsonant(i) || IsConsonant(i - 1) || !IsConsonant(i - 2))
            {
                return false;
            }

            return _b[i] is not ('w' or 'x' or 'y');
        }

        private bool EndsWith(string s)
        {
            var length = s.Length;
            var o = _k - length + 1;
            if (o < 0)
            {
                return false;
            }

            for (var i = 0; i < length; i++)
            {
                if (_b[o + i] != s[i])
                {
                    return false;
                }
            }

            _j = _k - length;
            return true;
        }

        private void SetTo(string s)
        {
            var o = _j + 1;
            for (var i = 0; i < s.Length; i++)
            {
                _b[o + i] = s[i];
            }

            _k = _j + s.Length;
        }

        private void ReplaceIfMeasured(string s)
        {
            if (Measure() > 0)
            {
                SetTo(s);
            }
        }

        public void Step1Ab()
        {
            if (_b[_k] == 's')
            {
                if (EndsWith("sses"))
                {
                    _k -= 2;
                }
                else if (EndsWith("ies"))
                {
                    SetTo("i");
                }
                else if (_b[_k - 1] != 's')
                {
                    _k--;
                }
            }

            if (EndsWith("eed"))
            {
                if (Measure() > 0)
                {
                    _k--;
                }
            }
            else if ((EndsWith("ed") || EndsWith("ing")) && VowelInStem())
            {
                _k = _j;
                if (EndsWith("at"))
                {
                    SetTo("ate");
                }
                else if (EndsWith("bl"))
                {
                    SetTo("ble");
                }
                else if (EndsWith("iz"))
                {
                    SetTo("ize");
                }
                else if (DoubleConsonant(_k))
                {
                    _k--;
                    var ch = _b[_k];
                    if (ch is 'l' or 's' or 'z')
                    {
                        _k++;
                    }
                }
                else if (Measure() == 1 && Cvc(_k))
                {
                    _j = _k;
                    SetTo("e");
                }
            }
        }

        public void Step1C()
        {
            if (EndsWith("y") && VowelInStem())
            {
                _b[_k] = 'i';
            }
        }

        public void Step2()
        {
            if (_k < 1)
            {
                return;
            }

            switch (_b[_k - 1])
            {
                case 'a':
                    if (EndsWith("ational")) { ReplaceIfMeasured("ate"); }
                    else if (EndsWith("tional")) { ReplaceIfMeasured("tion"); }
                    break;
                case 'c':
                    if (EndsWith("enci")) { ReplaceIfMeasured("ence"); }
                    else if (EndsWith("anci")) { ReplaceIfMeasured("ance"); }
                    break;
                case 'e':
                    if (EndsWith("izer")) { ReplaceIfMeasured("ize"); }
                    break;
                case 'l':
                    if (EndsWith("bli")) { ReplaceIfMeasured("ble"); }
                    else if (EndsWith("alli")) { ReplaceIfMeasured("al"); }
                    else if (EndsWith("entli")) { ReplaceIfMeasured("ent"); }
                    else if (EndsWith("eli")) { ReplaceIfMeasured("e"); }
                    else if (EndsWith("ousli")) { ReplaceIfMeasured("ous"); }
                    break;
                case 'o':
                    if (EndsWith("ization")) { ReplaceIfMeasured("ize"); }
                    else if (EndsWith("ation")) { ReplaceIfMeasured("ate"); }
                    else if (EndsWith("ator")) { ReplaceIfMeasured("ate"); }
                    break;
                case 's':
                    if (EndsWith("alism")) { ReplaceIfMeasured("al"); }
                    else if (EndsWith("iveness")) { ReplaceIfMeasured("ive"); }
                    else if (EndsWith("fulness")) { ReplaceIfMeasured("ful"); }
                    else if (EndsWith("ousness")) { ReplaceIfMeasured("ous"); }
                    break;
                case 't':
                    if (EndsWith("aliti")) { ReplaceIfMeasured("al"); }
                    else if (EndsWith("iviti")) { ReplaceIfMeasured("ive"); }
                    else if (EndsWith("biliti")) { ReplaceIfMeasured("ble"); }
                    break;
                case 'g':
                    if (EndsWith("logi")) { ReplaceIfMeasured("log"); }
                    break;
            }
        }

        public void Step3()
        {
            switch (_b[_k])
            {
                case 'e':
                    if (EndsWith("icate")) { ReplaceIfMeasured("ic"); }
                    else if (EndsWith("ative")) { ReplaceIfMeasured(""); }
                    else if (EndsWith("alize")) { ReplaceIfMeasured("al"); }
                    break;
                case 'i':
                    if (EndsWith("iciti")) { ReplaceIfMeasured("ic"); }
                    break;
                case 'l':
                    if (EndsWith("ical")) { ReplaceIfMeasured("ic"); }
                    else if (EndsWith("ful")) { ReplaceIfMeasured(""); }
                    break;
                case 's':
                    if (EndsWith("ness")) { ReplaceIfMeasured(""); }
                    break;
            }
        }

        public void Step4()
        {
            if (_k < 1)
            {
                return;
            }

            var matched = _b[_k - 1] switch
            {
                'a' => EndsWith("al"),
                'c' => EndsWith("ance") || EndsWith("ence"),
                'e' => EndsWith("er"),
                'i' => EndsWith("ic"),
                'l' => EndsWith("able") || EndsWith("ible"),
                'n' => EndsWith("ant") || EndsWith("ement") || EndsWith("ment") || EndsWith("ent"),
                'o' => (EndsWith("ion") && _j >= 0 && _b[_j] is 's' or 't') || EndsWith("ou"),
                's' => EndsWith("ism"),
                't' => EndsWith("ate") || EndsWith("iti"),
                'u' => EndsWith("ous"),
                'v' => EndsWith("ive"),
                'z' => EndsWith("ize"),
                _ => false,
            };
            if (matched && Measure() > 1)
            {
                _k = _j;
            }
        }

        public void Step5()
        {
            _j = _k;
            if (_b[_k] == 'e')
            {
                var m = Measure();
                if (m > 1 || (m == 1 && !Cvc(_k - 1)))
                {
                    _k--;
                }
            }

            if (_b[_k] == 'l' && DoubleConsonant(_k) && Measure() > 1)
            {
                _k--;
            }
        }
    }
}
