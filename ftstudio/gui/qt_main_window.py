"""The main window: palette | layer stack | properties, status bar, menus, file drops."""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QScrollArea, QToolBar

from ftstudio.core.project import Project
from ftstudio.gui.qt_actions import build_actions
from ftstudio.gui.qt_commands import QtInsertBlock, QtMoveBlock, QtRemoveBlock
from ftstudio.gui.qt_custom_blocks import QtCustomBlocks
from ftstudio.gui.qt_dialogs import QtDialogs
from ftstudio.gui.qt_evaluate_docks import QtEvaluateDocks
from ftstudio.gui.qt_export import QtExporter
from ftstudio.gui.qt_first_paint import QtAfterFirstPaint
from ftstudio.gui.qt_first_run_hint import QtFirstRunHint, hint_text, with_hint
from ftstudio.gui.qt_icons import app_icon
from ftstudio.gui.qt_palette import QtPalette
from ftstudio.gui.qt_profile import attach_profiler
from ftstudio.gui.qt_project_files import QtProjectFiles, starter_project
from ftstudio.gui.qt_project_settings import QtProjectSettings
from ftstudio.gui.qt_properties import QtProperties
from ftstudio.gui.qt_runs import attach_runs
from ftstudio.gui.qt_stack_model import QtStackModel
from ftstudio.gui.qt_stack_view import QtStackView
from ftstudio.gui.qt_status import QtStatusBar
from ftstudio.gui.qt_training_panel import QtTrainingPanel
from ftstudio.gui.qt_undo_keys import share_undo_keys
from ftstudio.gui.qt_validator import QtValidator
from ftstudio.gui.settled_objects import settle_start_up_objects
from ftstudio.gui.stack_document import StackDocument

LAYOUT_VERSION = 1  # 1: the training dock holds the panel (older layouts sized a placeholder)
EDIT_EVENTS = ("inserted", "removed", "moved", "changed", "reset", "project_changed")


class QtMainWindow(QMainWindow):
    def __init__(
        self,
        project: Project | None = None,
        *,
        settings: QSettings | None = None,
        dialogs=None,
        recovery_dir: str | Path | None = None,
    ):
        super().__init__()
        self.setWindowIcon(app_icon())
        self.settings = settings or QSettings()
        self.dialogs = dialogs or QtDialogs(self)
        self.doc = StackDocument(project or starter_project())
        self.is_starter = project is None  # the first-run hint is about the starter project
        self.undo = QUndoStack(self)
        self.model = QtStackModel(self.doc, self.undo, self)
        self.validator = QtValidator(lambda: self.doc.project, self)
        try:
            self._setup(recovery_dir)
        except BaseException:  # never leave the validation thread running in a dead window
            self.validator.shutdown()
            raise

    def _setup(self, recovery_dir: str | Path | None) -> None:
        self.files = QtProjectFiles(self, self.settings, recovery_dir)
        self.custom = QtCustomBlocks(self)
        self._build_widgets()
        self.actions = build_actions(self)
        self._add_dock_toggles()
        self._add_training_actions()
        self.runs = attach_runs(self)  # the Runs dock: run history, overlay, resume
        self.profiler = attach_profiler(self)  # Training > Profile
        self.doc.connect(self._on_event)
        self.undo.cleanChanged.connect(self._clean_changed)
        self.validator.reportReady.connect(self._show_report)
        # start-up's objects out of full collections, once torch is imported
        self.validator.reportReady.connect(settle_start_up_objects)
        self.validator.failed.connect(self.status.set_failure)
        self.setAcceptDrops(True)
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)  # palette keeps full height
        self.evaluation = QtEvaluateDocks(self)  # the Evaluate dock: Evaluate, Try a sample
        # the keyboard starts on the model (Ctrl+Up/Down, Delete), not in the palette's
        # filter, whose blinking cursor would repaint the palette twice a second
        self.stack_view.setFocus(Qt.OtherFocusReason)
        self.resize(1360, 860)
        self._restore_layout()
        self.update_title()
        self.after_first_paint = QtAfterFirstPaint(self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """What the first paint does not need: the first validation, the plots, and (a few
        seconds later) a training process warming up for the first click on Train."""
        self.validator.request()
        self.training.make_plots()  # imports pyqtgraph
        self.training.runner.schedule_standby()

    def _build_widgets(self) -> None:
        self.stack_view = QtStackView(self.model)
        self.stack_view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.palette = QtPalette()
        self.palette.appendRequested.connect(self.append_block)
        self.properties = QtProperties(self.doc, self.undo, self.dialogs.choose_file)
        self.properties.insertFixRequested.connect(self.insert_suggested_fix)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.properties)
        self.palette_dock = self._dock("Blocks", "paletteDock", self.palette, Qt.LeftDockWidgetArea)
        self.properties_dock = self._dock(
            "Properties", "propertiesDock", scroll, Qt.RightDockWidgetArea
        )
        self.project_settings = QtProjectSettings(
            self.doc,
            self.undo,
            lambda title: self.dialogs.choose_file(title),
            lambda title: self.dialogs.choose_folder(title),
        )
        project_scroll = QScrollArea(widgetResizable=True)
        project_scroll.setWidget(self.project_settings)
        self.project_dock = self._dock(
            "Project", "projectDock", project_scroll, Qt.RightDockWidgetArea
        )
        share_undo_keys(self.project_settings)
        self.tabifyDockWidget(self.properties_dock, self.project_dock)
        self.properties_dock.raise_()
        self.training = QtTrainingPanel(self.doc, self.undo)
        self.training.confirm_memory = self.dialogs.confirm_memory
        share_undo_keys(self.training)
        self.validator.reportReady.connect(self.training.set_report)
        self.training_dock = self._dock(
            "Training", "trainingDock", self.training, Qt.BottomDockWidgetArea
        )
        palette_width = max(210, self.palette.preferred_width())  # no elided block names
        self.resizeDocks(
            [self.palette_dock, self.properties_dock], [palette_width, 330], Qt.Horizontal
        )
        self.resizeDocks([self.training_dock], [360], Qt.Vertical)  # room for the settings
        keys = self.training.train_action.shortcut().toString(QKeySequence.NativeText)
        self.first_run_hint = QtFirstRunHint(self.settings, hint_text(keys))
        if not self.is_starter:
            self.first_run_hint.hide()
        self.setCentralWidget(with_hint(self.first_run_hint, self.stack_view))
        self.status = QtStatusBar()
        self.setStatusBar(self.status)
        self.training.message.connect(self.status.showMessage)
        self.exporter = QtExporter(self)
        self.exporter.message.connect(self.status.showMessage)
        self.validator.reportReady.connect(self.exporter.set_report)
        self.training.runningChanged.connect(self.exporter.set_training_running)
        self.training.runner.finished.connect(self.exporter.run_finished)

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self, objectName=name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _add_dock_toggles(self) -> None:
        docks = (self.palette_dock, self.properties_dock, self.project_dock, self.training_dock)
        for dock in docks:
            self.view_menu.addAction(dock.toggleViewAction())

    def _add_training_actions(self) -> None:
        panel = self.training
        actions = [panel.train_action, panel.pause_action, panel.stop_action]
        menu = QMenu("&Training", self)
        menu.addActions(actions)
        self.menuBar().insertMenu(self.view_menu.menuAction(), menu)
        toolbar = self.findChild(QToolBar, "mainToolbar")
        if toolbar is not None:
            toolbar.addSeparator()
            toolbar.addAction(panel.train_action)

    # ------------------------------------------------------------ state shown

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.doc.project.name}[*] — FT Studio")
        self.setWindowModified(self.files.is_dirty())

    def _clean_changed(self, _clean: bool) -> None:
        self.update_title()

    def _current_changed(self, current, _previous) -> None:
        self.properties.show_block(self.model.block_row(current))

    def _on_event(self, event: str, info: dict) -> None:
        if event == "reset":
            self.exporter.project_replaced()
            self.first_run_hint.hide()  # another project: the hint was about the starter
        if event in EDIT_EVENTS:
            self.validator.request()
            self.files.edited()
            self.update_title()
        if event == "inserted":
            self.stack_view.select_row(info["index"])
        elif event == "moved":
            self.stack_view.select_row(info["dst"])
        if event in ("inserted", "removed", "moved", "reset"):
            self._show_selected_block()

    def _show_selected_block(self) -> None:
        """Keep the Properties panel on the highlighted block: rows shift under a move,
        and the view's current index does not always report the change."""
        row = self.stack_view.selected_row()
        if self.properties.row != row:
            self.properties.show_block(row)

    def _show_report(self, report) -> None:
        self.model.set_report(report)
        self.properties.set_report(report)
        self.status.set_report(report)
        self.project_settings.data.set_report(report)
        if self.stack_view.selected_row() < 0 and self.doc.blocks:  # show something useful
            self.stack_view.select_row(report.issue.index if report.issue else 0)

    def show_project_settings(self) -> None:
        """Show the Project tab and put the cursor in its name field."""
        self.project_dock.show()
        self.project_dock.raise_()
        self.project_settings.name.setFocus(Qt.OtherFocusReason)

    # ------------------------------------------------------------ block actions

    def append_block(self, type_name: str) -> None:
        self.model.insert_type(len(self.doc.blocks), type_name)

    def delete_block(self) -> None:
        row = self.stack_view.selected_row()
        if row >= 0:
            self.undo.push(QtRemoveBlock(self.doc, row))
            self.stack_view.select_row(min(row, len(self.doc.blocks) - 1))

    def duplicate_block(self) -> None:
        row = self.stack_view.selected_row()
        if row < 0:
            return
        spec = copy.deepcopy(self.doc.blocks[row])
        spec.id = self.doc.project.new_block_id(spec.type)
        self.undo.push(QtInsertBlock(self.doc, row + 1, spec, f"Duplicate {spec.label}"))

    def move_block(self, step: int) -> None:
        row = self.stack_view.selected_row()
        if row >= 0 and 0 <= row + step < len(self.doc.blocks):
            self.undo.push(QtMoveBlock(self.doc, row, row + step))

    def insert_suggested_fix(self, row: int) -> bool:
        """Insert the validation's suggested adapter before the failing block (undoable)."""
        report = self.validator.report
        issue = report.issue if report else None
        if issue is None or not issue.fix or issue.index < 0:
            return False
        return self.model.insert_type(issue.index, issue.fix, "Insert suggested block")

    # ------------------------------------------------------------ window events

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files.drop_paths(paths)

    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, LAYOUT_VERSION)

    def closeEvent(self, event) -> None:
        # one stray click must not end a long run: ask first (No keeps it training)
        if self.training.runner.running and not self.dialogs.confirm_stop_training():
            event.ignore()
            return
        if not self.files.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop a training run (joining its thread), wait for an export, stop the validation
        thread and timers, and drop the recovery file."""
        self.training.shutdown()
        self.profiler.shutdown()
        self.exporter.shutdown()
        self.evaluation.shutdown()
        self.validator.shutdown()
        self.files.shutdown()
        self.custom.shutdown()
