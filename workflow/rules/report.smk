# Tables, figures, the manifest and the HTML report.
