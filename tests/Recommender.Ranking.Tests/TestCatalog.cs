using Recommender.Contracts;

namespace Recommender.Ranking.Tests;

/// <summary>A small catalog with real brand spellings (multi-word, ".com", "&amp;", trademark signs) for unit tests.</summary>
public static class TestCatalog
{
    public static List<PinData> Pins()
    {
        var pins = new List<PinData>();
        var n = 0;
        void Add(string brand, string title, string[] path, double price, string colour = "", Dictionary<string, string>? attributes = null) =>
            pins.Add(new PinData
            {
                Id = $"p{++n:D3}",
                Tenant = "t",
                Title = title,
                Brand = brand,
                CategoryPath = path,
                Price = price,
                Colour = colour,
                Attributes = attributes ?? new Dictionary<string, string>(),
            });

        string[] toner = ["Printers & Supplies", "Toner"];
        string[] mice = ["Computer Accessories", "Mice"];
        string[] ups = ["Power", "UPS"];
        string[] cables = ["Computer Accessories", "Cables"];
        Add("HP", "HP 26A Black Original LaserJet Toner Cartridge", toner, 89.99, "Black");
        Add("HP", "HP 201X High Yield Cyan Toner", toner, 45.50, "Cyan");
        Add("Canon", "Canon 137 Black Toner Cartridge", toner, 62.00, "Black");
        Add("Brother", "Brother TN760 High Yield Toner", toner, 38.99, "Black");
        Add("Logitech", "Logitech M185 Wireless Mouse", mice, 14.99, "Grey");
        Add("Logitech", "Logitech MX Master 3 Wireless Mouse", mice, 99.99, "Black,Silver");
        Add("Microsoft", "Microsoft Bluetooth Mouse", mice, 24.99, "Black");
        Add("Insignia™", "Insignia Wired Optical Mouse", mice, 9.99, "Black");
        Add("Insignia", "Insignia Wireless Mouse", mice, 12.99, "White");
        Add("Tripp Lite", "Tripp Lite 1500VA Smart UPS", ups, 249.00);
        Add("APC", "APC Back-UPS 600VA", ups, 79.99);
        Add("StarTech.com", "StarTech.com 6ft Cat6 Patch Cable", cables, 7.99, "Blue",
            new Dictionary<string, string> { ["jacket_material"] = "Polyvinyl chloride (PVC)" });
        Add("AT&T", "AT&T Prepaid SIM Kit", ["Cell Phones", "SIM Cards"], 10.00);
        Add("OtterBox", "OtterBox Defender Case", ["Cell Phones", "Cases"], 49.99, "Black");
        Add("Otterbox", "Otterbox Symmetry Case", ["Cell Phones", "Cases"], 39.99, "Pink", new Dictionary<string, string> { ["material"] = "Leather" });
        return pins;
    }
}
