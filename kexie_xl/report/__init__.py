"""Reading across months: the store's months as pandas frames, the office's quarter/year report workbook, and the
monthly 工作简报 draft (.docx). Everything here reads the store (never the archive) through merge_month, so the
figures are the city workbook's figures, month by month.
"""
