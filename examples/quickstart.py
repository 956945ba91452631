print("quickstart: coming")
