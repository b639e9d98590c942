using Recommender.Cli;

// Thin registration: each command lives in Commands/ and builds itself (the tree is in CliApp).
return await CliApp.CreateRoot().Parse(args).InvokeAsync();
