// The lab's process helpers, for every test that imports LabSupport.
@_exported import LabProcesses
