; Inno Setup 6 script: per-user install of the PyInstaller build in dist\hms-desktop
#define AppName "HMS Desktop"
#define AppVersion "0.1.0"

[Setup]
AppId={{6C1D7A52-4C1B-4B77-9A61-2B1E7F0C9D10}
AppName={#AppName}
AppVersion={#AppVersion}
DefaultDirName={localappdata}\Programs\HMS Desktop
DefaultGroupName=HMS Desktop
PrivilegesRequired=lowest
OutputBaseFilename=hms-desktop-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes

[Files]
Source: "..\..\dist\hms-desktop\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\HMS Desktop"; Filename: "{app}\hms-desktop.exe"
Name: "{userdesktop}\HMS Desktop"; Filename: "{app}\hms-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked
