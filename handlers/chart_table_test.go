package handlers_test

import "github.com/PuerkitoBio/goquery"

// chartTable reads the data table of the chart whose figure has the id: a
// row per body row of the table, the text of each of its cells (the row's
// heading first).
func chartTable(doc *goquery.Document, id string) [][]string {
	var rows [][]string
	doc.Find("figure#" + id + " table.chart-table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var row []string
		tr.Children().Each(func(_ int, c *goquery.Selection) { row = append(row, text(c)) })
		rows = append(rows, row)
	})
	return rows
}
