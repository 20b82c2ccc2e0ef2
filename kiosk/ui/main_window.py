"""The hall's main window (foundation version): hall name, categories and their guides.

The resident kiosk screens replace this with the full kiosk (kiosk/ui/resident)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget
from sqlalchemy import select

from kiosk.hall import Hall
from sync.cache.models import Category


class MainWindow(QMainWindow):
    def __init__(self, hall: Hall):
        super().__init__()
        self.hall = hall
        self.setWindowTitle(f"一站 · {hall.config.hall.name}")
        central = QWidget()
        layout = QVBoxLayout(central)
        title = QLabel(hall.config.hall.name)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("font-size: 32pt; font-weight: bold; padding: 16px;")
        layout.addWidget(title)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["办事指南", "编码"])
        self.tree.setColumnWidth(0, 600)
        layout.addWidget(self.tree)
        self.setCentralWidget(central)
        self.load()

    def load(self) -> None:
        self.tree.clear()
        with self.hall.cache.sessions() as session:
            for category in session.scalars(select(Category).order_by(Category.sort_order)):
                item = QTreeWidgetItem([f"{category.name}（{len(category.guides)}项）", ""])
                for guide in sorted(category.guides, key=lambda g: g.code):
                    item.addChild(QTreeWidgetItem([guide.name, guide.code]))
                self.tree.addTopLevelItem(item)
        self.tree.expandAll()
